window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [ "1600000000000000001" ],
          "editableUntil" : "2022-12-06T12:30:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ { "text" : "العراق", "indices" : [ "40", "47" ] } ],
        "symbols" : [ ],
        "user_mentions" : [ { "name" : "وكالة المثال", "screen_name" : "wakala_example", "indices" : [ "0", "15" ], "id_str" : "1450000000000000002", "id" : "1450000000000000002" } ],
        "urls" : [ { "url" : "https://t.co/abcdefghij", "expanded_url" : "https://news.example.org/2022/12/06/report", "display_url" : "news.example.org/2022/12/06/rep…", "indices" : [ "48", "71" ] } ]
      },
      "display_text_range" : [ "0", "71" ],
      "favorite_count" : "3",
      "id_str" : "1600000000000000001",
      "truncated" : false,
      "retweet_count" : "1",
      "id" : "1600000000000000001",
      "created_at" : "Tue Dec 06 12:00:00 +0000 2022",
      "favorited" : false,
      "full_text" : "@wakala_example تقرير عن عودة النازحين #العراق https://t.co/abcdefghij",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "edit" : {
          "initialTweetId" : "1600000000000000010",
          "editControlInitial" : {
            "editTweetIds" : [ "1600000000000000010", "1600000000000000011" ],
            "editableUntil" : "2022-12-07T10:30:00.000Z",
            "editsRemaining" : "4",
            "isEditEligible" : true
          }
        }
      },
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ],
        "media" : [ { "id_str" : "1600000000000000099", "type" : "photo", "media_url_https" : "https://pbs.twimg.com/media/EXAMPLE.jpg", "url" : "https://t.co/klmnopqrst" } ]
      },
      "extended_entities" : {
        "media" : [
          { "id_str" : "1600000000000000099", "type" : "photo", "media_url_https" : "https://pbs.twimg.com/media/EXAMPLE.jpg" },
          { "id_str" : "1600000000000000098", "type" : "animated_gif", "media_url_https" : "https://pbs.twimg.com/tweet_video_thumb/EXAMPLE.jpg" }
        ]
      },
      "in_reply_to_status_id_str" : "1600000000000000001",
      "in_reply_to_screen_name" : "akhbar_example",
      "id_str" : "1600000000000000011",
      "created_at" : "Wed Dec 07 10:05:00 +0000 2022",
      "full_text" : "تصحيح: عاد أكثر من ألف نازح إلى الموصل هذا الأسبوع https://t.co/klmnopqrst",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "id_str" : "1600000000000000020",
      "created_at" : "not a date",
      "full_text" : "😊",
      "lang" : "qme"
    }
  },
  {
    "tweet" : {
      "full_text" : "تغريدة بلا معرف"
    }
  }
]

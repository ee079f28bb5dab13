window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "newsdesk@example.org",
      "createdVia" : "web",
      "username" : "akhbar_example",
      "accountId" : "1450000000000000001",
      "createdAt" : "2021-10-18T09:00:00.000Z",
      "accountDisplayName" : "أخبار المثال"
    }
  }
]

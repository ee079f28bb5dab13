package account

import (
	"cmp"
	"hash/fnv"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/hashbank/mih"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
)

// Profile is what successor linking knows of an account: its latest
// names, avatar, the links it posted and the flagged texts it posted.
type Profile struct {
	Platform post.Platform `json:"platform"`
	ID       string        `json:"id"`
	Handle   string        `json:"handle,omitempty"`
	Name     string        `json:"name,omitempty"`
	Bio      string        `json:"bio,omitempty"`
	// Avatar is the PDQ hash of the profile picture; HasAvatar says
	// whether there is one.
	Avatar    pdq.Hash  `json:"-"`
	HasAvatar bool      `json:"-"`
	Links     []string  `json:"links,omitempty"` // canonical outlinks and invite links (CanonLink)
	Texts     []uint64  `json:"-"`               // TextPrint of the flagged texts it posted
	Rooms     []string  `json:"rooms,omitempty"` // Key of the channels and groups it posted in
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}

// Key is the account's key across platforms.
func (p *Profile) Key() string { return Key(p.Platform, p.ID) }

// Key joins a platform and an account id; ids may hold anything but the
// platform never holds '/'.
func Key(platform post.Platform, id string) string { return string(platform) + "/" + id }

// SplitKey is the inverse of Key.
func SplitKey(key string) (post.Platform, string, bool) {
	p, id, ok := strings.Cut(key, "/")
	return post.Platform(p), id, ok && p != "" && id != ""
}

// CanonLink is the form of a link under which two accounts' links are
// compared: scheme, "www." and a trailing slash dropped, host lower-cased;
// the path keeps its case because invite codes are case-sensitive.
func CanonLink(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	out := host + strings.TrimSuffix(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// TextPrint fingerprints a text as recycled copies share it: the
// normalized text (arabic.Normalize) hashed.
func TextPrint(norm string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(strings.Fields(norm), " ")))
	return h.Sum64()
}

// Evidence is the per-feature support of a candidate successor, shown to
// the analyst who confirms or rejects it.
type Evidence struct {
	Handle float64  `json:"handle"`          // HandleSimilarity of the handles
	Name   float64  `json:"name"`            // HandleSimilarity of the display names
	Bio    float64  `json:"bio"`             // MinHash similarity of the normalized bios
	Avatar int      `json:"avatar"`          // PDQ distance of the avatars; -1 when not comparable
	Links  []string `json:"links,omitempty"` // shared outlinks and invite links
	Texts  int      `json:"texts"`           // shared flagged texts
	Rooms  []string `json:"rooms,omitempty"` // channels and groups both posted in
	// Gap is how long after the removal the candidate was first seen;
	// negative when it was seen before.
	Gap time.Duration `json:"gap"`
}

// Candidate is a ranked possible successor.
type Candidate struct {
	Platform post.Platform `json:"platform"`
	ID       string        `json:"id"`
	Handle   string        `json:"handle,omitempty"`
	Score    float64       `json:"score"`
	Evidence Evidence      `json:"evidence"`
}

// Weights of the features in a candidate's score. Each feature alone
// scores at most its weight, scaled down by how common the shared value
// is (rarity): a handle skeleton hundreds of accounts share (mohammed_ali)
// or a flag picture every supporter uses says little about who is whom,
// while an avatar or an invite link two accounts share says much. The
// display name adds less when the handle matches already, because
// re-creations carry the two together. The values are set by reasoning
// about the features, not fitted: fitting them to the synthetic benchmark
// would learn its generator instead of ban evasion.
const (
	wHandle = 3.0
	wName   = 1.5
	wBio    = 2.0
	wAvatar = 4.0
	wLinks  = 3.0
	wTexts  = 3.0
	wTiming = 2.0
	wRooms  = 2.0
)

// rarity scales evidence shared with df accounts (the query and the
// candidate included): 1 for two accounts, falling with the log.
func rarity(df int) float64 {
	if df <= 2 {
		return 1
	}
	return 1 / math.Log2(float64(df))
}

// handleRarity is rarity for handle skeletons, gentler because a handle
// bucket also holds an account's own re-creations.
func handleRarity(df int) float64 {
	if df <= 2 {
		return 1
	}
	return 1 / (1 + math.Log10(float64(df)/2))
}

// Limits of candidate generation.
const (
	// AvatarRadius is the PDQ distance within which avatars count as the
	// same picture (the threshold HMA uses for photos).
	AvatarRadius = 31
	// maxLinkAccounts: a link posted by more accounts (a news site, a
	// popular video) says nothing about who is whom, and is not a
	// candidate source.
	maxLinkAccounts = 200
	// maxGramPostings skips trigrams of skeletons so common (the "mhm" of
	// every Muhammad) that their postings would make a query a scan; the
	// exact skeleton bucket still finds those names.
	maxGramPostings = 20_000
	// maxBucket bounds the exact-skeleton candidates taken, the most
	// recently first seen first.
	maxBucket = 3000
	// timingScale is the decay of the timing feature: successors appear
	// within days of a removal.
	timingScale = 7 * 24 * time.Hour
)

// Index finds candidate successors through indexes on handle skeleton
// trigrams, exact skeletons, avatar PDQ (multi-index hashing), links,
// flagged texts and copied bios: a query touches postings, never every
// account. It is
// safe for concurrent use.
type Index struct {
	mu       sync.RWMutex
	profiles []Profile
	byKey    map[string]uint32
	skel     map[string][]uint32
	grams    map[uint32][]uint32
	avatars  *mih.Index
	avOwner  []uint32
	links    map[string][]uint32
	texts    map[uint64][]uint32
	// bios holds the normalized bios of three words or more: a re-created
	// account often copies its bio word for word, with nothing else.
	bios map[uint64][]uint32
	// rooms counts the accounts of each room: rooms score but do not
	// nominate candidates, because a busy group would make a query a scan.
	rooms   map[string]int32
	scratch sync.Pool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byKey: map[string]uint32{}, skel: map[string][]uint32{}, grams: map[uint32][]uint32{},
		avatars: mih.NewIndex(nil), links: map[string][]uint32{}, texts: map[uint64][]uint32{}, rooms: map[string]int32{}, bios: map[uint64][]uint32{},
	}
}

// Len returns the number of accounts indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.profiles)
}

// Add indexes profiles. A profile whose key is indexed already replaces
// the stored one for scoring; its old handle, links and texts stay findable
// (an old handle is still evidence).
func (ix *Index) Add(ps ...Profile) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var gs []uint32
	for _, p := range ps {
		k := p.Key()
		id, ok := ix.byKey[k]
		if ok {
			ix.profiles[id] = p
		} else {
			id = uint32(len(ix.profiles))
			ix.profiles = append(ix.profiles, p)
			ix.byKey[k] = id
		}
		sk := Skeleton(p.Handle)
		if len(sk) >= 2 {
			ix.skel[sk] = appendOnce(ix.skel[sk], id)
			gs = grams(sk, gs)
			for _, g := range gs {
				ix.grams[g] = appendOnce(ix.grams[g], id)
			}
		}
		if p.HasAvatar {
			ix.avatars.Add(p.Avatar)
			ix.avOwner = append(ix.avOwner, id)
		}
		for _, l := range p.Links {
			ix.links[l] = appendOnce(ix.links[l], id)
		}
		for _, t := range p.Texts {
			ix.texts[t] = appendOnce(ix.texts[t], id)
		}
		if b, ok := bioPrint(p.Bio); ok {
			ix.bios[b] = appendOnce(ix.bios[b], id)
		}
		if !ok {
			for _, r := range p.Rooms {
				ix.rooms[r]++
			}
		}
	}
}

// appendOnce appends id unless it is the last one (ids are added in order,
// so a repeat is always the last).
func appendOnce(list []uint32, id uint32) []uint32 {
	if n := len(list); n > 0 && list[n-1] == id {
		return list
	}
	return append(list, id)
}

// Profile returns the indexed profile of key.
func (ix *Index) Profile(key string) (Profile, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok := ix.byKey[key]
	if !ok {
		return Profile{}, false
	}
	return ix.profiles[id], true
}

type scratch struct {
	shared []uint8 // trigrams shared with the query, by account
	seen   []bool
	list   []uint32
	gs     []uint32
}

// Successors ranks up to k candidate successors of the account q, removed
// (or last seen) at removed: accounts that share a handle skeleton or most
// of its trigrams, an avatar, a rare link or a flagged text with it. The
// account itself is never its own candidate.
func (ix *Index) Successors(q Profile, removed time.Time, k int) []Candidate {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	defer ix.scratch.Put(sc)
	if n := len(ix.profiles); len(sc.seen) < n {
		sc.seen = make([]bool, n+n/4)
		sc.shared = make([]uint8, n+n/4)
	}
	self, hasSelf := ix.byKey[q.Key()]
	sc.list = sc.list[:0]
	add := func(id uint32) {
		if !sc.seen[id] && (!hasSelf || id != self) {
			sc.seen[id] = true
			sc.list = append(sc.list, id)
		}
	}
	sk := Skeleton(q.Handle)
	if len(sk) >= 2 {
		bucket := ix.skel[sk]
		for _, id := range bucket[max(0, len(bucket)-maxBucket):] {
			add(id)
		}
		sc.gs = grams(sk, sc.gs)
		need := uint8(max(2, (len(sc.gs)*2+2)/3))
		var touched []uint32
		for _, g := range sc.gs {
			ps := ix.grams[g]
			if len(ps) > maxGramPostings {
				continue
			}
			for _, id := range ps {
				if sc.shared[id] == 0 {
					touched = append(touched, id)
				}
				sc.shared[id]++
			}
		}
		for _, id := range touched {
			if sc.shared[id] >= need {
				add(id)
			}
			sc.shared[id] = 0
		}
	}
	avatarHits := 0
	if q.HasAvatar {
		hits := ix.avatars.Query(q.Avatar, AvatarRadius)
		avatarHits = len(hits)
		for _, h := range hits {
			add(ix.avOwner[h.ID])
		}
	}
	for _, l := range q.Links {
		if ps := ix.links[l]; len(ps) <= maxLinkAccounts {
			for _, id := range ps {
				add(id)
			}
		}
	}
	for _, t := range q.Texts {
		if ps := ix.texts[t]; len(ps) <= maxLinkAccounts {
			for _, id := range ps {
				add(id)
			}
		}
	}
	var fromBio []uint32
	if b, ok := bioPrint(q.Bio); ok {
		if ps := ix.bios[b]; len(ps) <= maxLinkAccounts {
			for _, id := range ps {
				add(id)
			}
			fromBio = ps
		}
	}
	qs := newQuery(q)
	if len(sk) >= 2 {
		qs.handleDF = len(ix.skel[sk])
	}
	qs.avatarDF = avatarHits
	// Signing a bio costs more than every other feature together, so bios
	// are compared in a second pass, only for the candidates that a bio
	// could still lift into the top k, and for those a copied bio named.
	type scored struct {
		id uint32
		c  Candidate
	}
	first := make([]scored, 0, len(sc.list))
	for _, id := range sc.list {
		sc.seen[id] = false
		first = append(first, scored{id, ix.score(&qs, &ix.profiles[id], removed, false)})
	}
	slices.SortFunc(first, func(a, b scored) int { return cmp.Compare(b.c.Score, a.c.Score) })
	bar := 0.0
	if len(first) >= k {
		bar = first[k-1].c.Score - wBio
	}
	for _, id := range fromBio {
		sc.seen[id] = true
	}
	out := make([]Candidate, 0, len(first))
	for _, f := range first {
		c := f.c
		if qs.hasBio && (c.Score > 0 && c.Score >= bar || sc.seen[f.id]) {
			c = ix.score(&qs, &ix.profiles[f.id], removed, true)
		}
		if c.Score > 0 {
			out = append(out, c)
		}
	}
	for _, id := range fromBio {
		sc.seen[id] = false
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(string(a.Platform), string(b.Platform)), strings.Compare(a.ID, b.ID))
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// bioPrint fingerprints a bio of three words or more, normalized.
func bioPrint(bio string) (uint64, bool) {
	if bio == "" {
		return 0, false
	}
	n := arabic.Normalize(bio)
	if len(strings.Fields(n)) < 3 {
		return 0, false
	}
	return TextPrint(n), true
}

// query is a profile with what its comparisons reuse.
type query struct {
	p      *Profile
	bio    neardup.Signature
	hasBio bool
	links  map[string]bool
	texts  map[uint64]bool
	rooms  map[string]bool
	// handleDF and avatarDF count the accounts with the query's handle
	// skeleton and within AvatarRadius of its avatar.
	handleDF, avatarDF int
}

func newQuery(p Profile) query {
	q := query{p: &p}
	if p.Bio != "" {
		q.bio, q.hasBio = neardup.Sign(arabic.Normalize(p.Bio))
	}
	if len(p.Links) > 0 {
		q.links = make(map[string]bool, len(p.Links))
		for _, l := range p.Links {
			q.links[l] = true
		}
	}
	if len(p.Rooms) > 0 {
		q.rooms = make(map[string]bool, len(p.Rooms))
		for _, r := range p.Rooms {
			q.rooms[r] = true
		}
	}
	if len(p.Texts) > 0 {
		q.texts = make(map[uint64]bool, len(p.Texts))
		for _, t := range p.Texts {
			q.texts[t] = true
		}
	}
	return q
}

// score compares candidate c with the query, the bios too when bio is
// set; ix.mu is held.
func (ix *Index) score(q *query, c *Profile, removed time.Time, bio bool) Candidate {
	p := q.p
	ev := Evidence{Avatar: -1}
	ev.Handle = HandleSimilarity(p.Handle, c.Handle)
	ev.Name = HandleSimilarity(p.Name, c.Name)
	if bio && q.hasBio && c.Bio != "" {
		if sig, ok := neardup.Sign(arabic.Normalize(c.Bio)); ok {
			ev.Bio = neardup.Similarity(&q.bio, &sig)
		}
	}
	if p.HasAvatar && c.HasAvatar {
		ev.Avatar = p.Avatar.Distance(c.Avatar)
	}
	linkScore := 0.0
	for _, l := range c.Links {
		if q.links[l] {
			ev.Links = append(ev.Links, l)
			// A link few accounts posted is strong evidence; one many
			// posted is weak.
			linkScore += rarity(len(ix.links[l]))
		}
	}
	textScore := 0.0
	for _, t := range c.Texts {
		if q.texts[t] {
			ev.Texts++
			textScore += rarity(len(ix.texts[t]))
		}
	}
	roomScore := 0.0
	for _, r := range c.Rooms {
		if q.rooms[r] {
			ev.Rooms = append(ev.Rooms, r)
			roomScore += rarity(int(ix.rooms[r]))
		}
	}
	if !c.FirstSeen.IsZero() && !removed.IsZero() {
		ev.Gap = c.FirstSeen.Sub(removed)
	}
	s := 0.0
	nameWeight := wName
	if ev.Handle >= 0.5 {
		s += wHandle * ev.Handle * handleRarity(q.handleDF)
		nameWeight /= 2
	}
	if ev.Name >= 0.5 {
		s += nameWeight * ev.Name
	}
	if ev.Bio >= 0.3 {
		s += wBio * ev.Bio
	}
	if ev.Avatar >= 0 && ev.Avatar <= AvatarRadius {
		s += wAvatar * (1 - float64(ev.Avatar)/float64(AvatarRadius+1)) * rarity(q.avatarDF)
	}
	s += min(wLinks, wLinks*linkScore)
	s += min(wTexts, wTexts*textScore/2)
	if s > 0 {
		// An audience in common supports other evidence; alone, it is
		// every member of a busy group.
		s += min(wRooms, wRooms*roomScore)
	}
	if s > 0 && ev.Gap >= 0 && !c.FirstSeen.IsZero() {
		// Only accounts that appear after the removal can be its next
		// incarnation's new account; timing alone nominates nobody.
		s += wTiming * math.Exp(-float64(ev.Gap)/float64(timingScale))
	}
	return Candidate{Platform: c.Platform, ID: c.ID, Handle: c.Handle, Score: math.Round(s*1000) / 1000, Evidence: ev}
}

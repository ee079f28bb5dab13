package taxonomy

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Errors of entity files. Parse wraps them with the file name and line.
var (
	ErrSyntax        = errors.New("syntax error")
	ErrUnknownKey    = errors.New("unknown key")
	ErrDuplicate     = errors.New("duplicate")
	ErrMissing       = errors.New("missing field")
	ErrUnknownID     = errors.New("unknown entity")
	ErrNotInRegistry = errors.New("entity not in registry")
)

// Entity is a designated group, one of its provinces or an affiliate.
type Entity struct {
	ID     string // stable id used in signals and cases: isis, isis-sinai, aq
	Parent string // id of the group it belongs to, "" for a top-level group
	Kind   string // group, province or affiliate
	NameAR string
	NameEN string
	// SupporterNames are the names the group and its supporters use;
	// OpponentNames are those of media, governments and opponents.
	SupporterNames []string
	OpponentNames  []string
	Outlets        []string // media outlets, "Arabic name (English name)"
	Designations   []Designation
	Source         string // file:line of the record header
}

// Designation is an entry of a sanctions or terrorist list.
type Designation struct {
	List string // UN, US, EU, UK
	Name string // the name as listed
	Ref  string // the list's reference, where it has one
}

// Registry is a validated set of entities, safe for concurrent reads.
type Registry struct {
	byID  map[string]*Entity
	order []*Entity
}

//go:embed entities.txt
var defaultEntities string

var defaultRegistry = sync.OnceValues(func() (*Registry, error) {
	return ParseRegistry(strings.NewReader(defaultEntities), "entities.txt")
})

// DefaultRegistry returns the embedded registry (entities.txt).
func DefaultRegistry() (*Registry, error) { return defaultRegistry() }

// LoadRegistry reads a registry file an analyst maintains instead of the
// embedded one.
func LoadRegistry(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open entity registry: %w", err)
	}
	defer f.Close()
	return ParseRegistry(f, filepath.Base(path))
}

// Get returns the entity with the given id.
func (r *Registry) Get(id string) (*Entity, bool) {
	e, ok := r.byID[id]
	return e, ok
}

// All returns the entities in file order.
func (r *Registry) All() []*Entity { return r.order }

// IsA reports whether id is ancestor or one of its descendants:
// IsA("isis-sinai", "isis") is true.
func (r *Registry) IsA(id, ancestor string) bool {
	for range len(r.order) + 1 { // bounded: parents are validated acyclic
		if id == ancestor {
			return true
		}
		e, ok := r.byID[id]
		if !ok || e.Parent == "" {
			return false
		}
		id = e.Parent
	}
	return false
}

// Check returns ErrNotInRegistry, naming the ids, when some of ids are not
// in the registry; the lexicon's entity column is checked this way.
func (r *Registry) Check(ids ...string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := r.byID[id]; !ok && id != "" {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%w: %s", ErrNotInRegistry, strings.Join(missing, ", "))
	}
	return nil
}

// ParseRegistry reads an entity file. Records start with "[id]" and hold
// "key: value" lines; list keys repeat, one value per line:
//
//	[isis-sinai]
//	parent: isis
//	kind: province
//	name.ar: ولاية سيناء
//	name.en: Islamic State – Sinai Province
//	alias.supporter: ولاية سيناء
//	alias.opponent: داعش سيناء
//	outlet: ...
//	designation: US | ISIS-Sinai Province | FTO
//
// Lines starting with '#' are comments. Every problem is reported as
// "name:line: reason"; ParseRegistry fails if there is any, because a
// registry with holes would misattribute posts.
func ParseRegistry(rd io.Reader, name string) (*Registry, error) {
	r := &Registry{byID: map[string]*Entity{}}
	var (
		errs     []error
		cur      *Entity
		seen     map[string]bool
		parentAt = map[*Entity]int{}
		line     int
	)
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: "+format, append([]any{name, line}, args...)...))
	}
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.HasPrefix(text, "[") {
			id, ok := strings.CutSuffix(text[1:], "]")
			if !ok || !validID(id) {
				fail("%w: record header %q: want [id] with lower-case letters, digits and '-'", ErrSyntax, text)
				cur = nil
				continue
			}
			if prev, dup := r.byID[id]; dup {
				fail("%w id %q (first at %s)", ErrDuplicate, id, prev.Source)
				cur = nil
				continue
			}
			cur = &Entity{ID: id, Source: fmt.Sprintf("%s:%d", name, line)}
			seen = map[string]bool{}
			r.byID[id] = cur
			r.order = append(r.order, cur)
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok || value == "":
			fail("%w: want \"key: value\"", ErrSyntax)
			continue
		case cur == nil:
			fail("%w: %q outside a valid [id] record", ErrSyntax, key)
			continue
		}
		single := map[string]*string{"parent": &cur.Parent, "kind": &cur.Kind, "name.ar": &cur.NameAR, "name.en": &cur.NameEN}
		if p, ok := single[key]; ok {
			if seen[key] {
				fail("%w key %q in [%s]", ErrDuplicate, key, cur.ID)
				continue
			}
			seen[key] = true
			*p = value
			if key == "parent" {
				parentAt[cur] = line
			}
			if key == "kind" && value != "group" && value != "province" && value != "affiliate" {
				fail("%w: kind %q: want group, province or affiliate", ErrSyntax, value)
			}
			continue
		}
		switch key {
		case "alias.supporter":
			cur.SupporterNames = append(cur.SupporterNames, value)
		case "alias.opponent":
			cur.OpponentNames = append(cur.OpponentNames, value)
		case "outlet":
			cur.Outlets = append(cur.Outlets, value)
		case "designation":
			f := strings.Split(value, "|")
			if len(f) < 2 || len(f) > 3 {
				fail("%w: designation %q: want \"list | listed name | reference\"", ErrSyntax, value)
				continue
			}
			d := Designation{List: strings.TrimSpace(f[0]), Name: strings.TrimSpace(f[1])}
			if len(f) == 3 {
				d.Ref = strings.TrimSpace(f[2])
			}
			cur.Designations = append(cur.Designations, d)
		default:
			fail("%w %q", ErrUnknownKey, key)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s:%d: %w", name, line+1, err))
	}
	for _, e := range r.order {
		if e.NameAR == "" || e.NameEN == "" || e.Kind == "" {
			errs = append(errs, fmt.Errorf("%s: [%s]: %w: name.ar, name.en and kind are required", e.Source, e.ID, ErrMissing))
		}
		if e.Parent != "" {
			if _, ok := r.byID[e.Parent]; !ok {
				errs = append(errs, fmt.Errorf("%s:%d: %w %q as parent of [%s]", name, parentAt[e], ErrUnknownID, e.Parent, e.ID))
			} else if cyclic(r, e) {
				errs = append(errs, fmt.Errorf("%s:%d: %w: parent chain of [%s] loops", name, parentAt[e], ErrSyntax, e.ID))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func cyclic(r *Registry, e *Entity) bool {
	id := e.Parent
	for range len(r.order) {
		if id == e.ID {
			return true
		}
		p, ok := r.byID[id]
		if !ok || p.Parent == "" {
			return false
		}
		id = p.Parent
	}
	return true
}

func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

package sqlite

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestUsers(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) store.Users { return openTest(t) })
}

package postgres

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestUsers(t *testing.T) {
	testURL(t)
	storetest.RunUsers(t, func(t *testing.T) store.Users { return openTest(t) })
}

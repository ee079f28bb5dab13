package mem

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(*testing.T) storetest.SharedStore { return New() })
}

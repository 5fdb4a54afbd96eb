package storesql

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/slipway/slipway"
)

func TestPromotionWhere(t *testing.T) {
	dollar := func(n int) string { return fmt.Sprintf("$%d", n) }
	where, args := PromotionWhere(slipway.PromotionFilter{Service: "api", State: slipway.StateWaiting, Active: true}, 7, dollar)
	if want := " WHERE service = $1 AND state = $2 AND seq < $3 AND state IN " + ActiveStates; where != want {
		t.Errorf("where %q, want %q", where, want)
	}
	if !reflect.DeepEqual(args, []any{"api", "waiting", int64(7)}) {
		t.Errorf("args %v", args)
	}
	if where, args := PromotionWhere(slipway.PromotionFilter{}, 0, dollar); where != "" || args != nil {
		t.Errorf("no filter: %q %v, want no WHERE", where, args)
	}
}

package api_test

import (
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

func scopeOf(env *apptest.Env) store.Scope {
	return store.Scope{MerchantID: env.Keys.ID, Livemode: false}
}

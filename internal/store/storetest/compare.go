package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

// checkSame fails the test for every field of the struct got (or pointer to one) that
// differs from want. Times compare as a store keeps them: want truncated to the
// microsecond, and got must be in UTC.
func checkSame(t *testing.T, what string, got, want any) {
	t.Helper()
	for _, d := range diffFields(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

func diffFields(got, want any) []string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Kind() == reflect.Pointer {
		if gv.IsNil() || wv.IsNil() {
			if gv.IsNil() != wv.IsNil() {
				return []string{fmt.Sprintf("got %v, want %v", got, want)}
			}
			return nil
		}
		gv, wv = gv.Elem(), wv.Elem()
	}
	var out []string
	for i := range gv.NumField() {
		f := gv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if msg := diffValue(gv.Field(i), wv.Field(i)); msg != "" {
			out = append(out, f.Name+": "+msg)
		}
	}
	return out
}

func diffValue(g, w reflect.Value) string {
	switch g.Type() {
	case timeType:
		return diffTime(g.Interface().(time.Time), w.Interface().(time.Time))
	case timePtrType:
		gp, wp := g.Interface().(*time.Time), w.Interface().(*time.Time)
		switch {
		case gp == nil && wp == nil:
			return ""
		case gp == nil || wp == nil:
			return fmt.Sprintf("got %v, want %v", gp, wp)
		}
		return diffTime(*gp, *wp)
	}
	if reflect.DeepEqual(g.Interface(), w.Interface()) {
		return ""
	}
	return fmt.Sprintf("got %s, want %s", show(g), show(w))
}

func diffTime(g, w time.Time) string {
	if w.IsZero() {
		if !g.IsZero() {
			return fmt.Sprintf("got %v, want the zero time", g)
		}
		return ""
	}
	if want := us(w); !g.Equal(want) {
		return fmt.Sprintf("got %v, want %v (stored to the microsecond)", g.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if g.Location() != time.UTC {
		return fmt.Sprintf("got %v in %v, want UTC", g, g.Location())
	}
	return ""
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
		if v.IsNil() {
			return "nil bytes"
		}
		return fmt.Sprintf("%q", v.Bytes())
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "nil"
	}
	if b, err := json.Marshal(v.Interface()); err == nil && v.Kind() != reflect.String {
		return string(b)
	}
	return fmt.Sprintf("%#v", v.Interface())
}

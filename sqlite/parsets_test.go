package sqlite

import (
	"testing"
	"time"
)

// FuzzParseTS checks the direct reading of stored times against
// time.Parse, for the times ts writes and for any other text.
func FuzzParseTS(f *testing.F) {
	for _, s := range []string{
		ts(time.Date(2026, 11, 28, 21, 40, 0, 123456000, time.UTC)),
		ts(time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC)),
		ts(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)),
		"2023-02-29T10:00:00.000000Z", // no such day: time.Parse refuses it
		"2026-13-01T10:00:00.000000Z",
		"2026-11-28T24:00:00.000000Z",
		"2026-11-28T10:00:60.000000Z",
		"2026-11-28T10:00:00.000000+02:00",
		"2026-11-28T10:00:00.00000aZ",
		"",
		"garbage",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.Parse(timeLayout, s)
		got := parseTS(s)
		if err != nil {
			want = time.Time{}
		}
		// Two time.Parse calls make two equal zones, not one: compare names.
		if !got.Equal(want) || got.Location().String() != want.Location().String() || (want.Location() == time.UTC && got != want) {
			t.Fatalf("parseTS(%q) = %v, time.Parse gives %v (err %v)", s, got, want, err)
		}
	})
}

func TestParseTSRoundTrip(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 11, 28, 21, 40, 0, 123456789, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
	} {
		got := parseTS(ts(at))
		if want := at.UTC().Truncate(time.Microsecond); got != want {
			t.Errorf("parseTS(ts(%v)) = %v, want %v", at, got, want)
		}
	}
}

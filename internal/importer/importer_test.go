package importer

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// all drains a reader: the rows and the row errors, in order.
func all(t testing.TB, r Reader) (rows []Row, locs []Loc, errs []*RowError) {
	for {
		row, loc, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			errs = append(errs, re)
			continue
		}
		if err != nil {
			t.Fatalf("unexpected file error: %v", err)
		}
		rows, locs = append(rows, row), append(locs, loc)
	}
}

func TestMapCSV(t *testing.T) {
	in := "\ufeffNumber,Short description,ci,env,Sev,Opened,resolved_at,Team,Extra\n" +
		"SN-1,Checkout 500s,checkout-api,prod-eu,SEV1,2026-03-01T10:00:00Z,,payments,x\n" +
		"SN-2,\"Slow, very slow\",checkout-api,prod-eu,2,2026-03-01 11:00:00+02:00,2026-03-01T12:00:00Z,,y\n" +
		"SN-3,too few,checkout-api\n" +
		"SN-4,no zone,checkout-api,prod-eu,3,2026-03-01 10:00:00,,,z\n" +
		"SN-5,bad sev,checkout-api,prod-eu,9,,,,z\n"
	m, err := ParseMap([]string{"Number=external_id", "Short description=title", "Sev=severity", "Opened=opened_at", "Team=label.team"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewCSV(strings.NewReader(in), m)
	if err != nil {
		t.Fatal(err)
	}
	rows, locs, errs := all(t, r)
	if len(rows) != 2 || len(errs) != 3 {
		t.Fatalf("rows %+v errs %v", rows, errs)
	}
	want0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if rows[0].ExternalID != "SN-1" || rows[0].Severity != 1 || !rows[0].OpenedAt.Equal(want0) || rows[0].Labels["team"] != "payments" || locs[0] != "line 2" {
		t.Errorf("row 0: %+v at %s", rows[0], locs[0])
	}
	if rows[1].Title != "Slow, very slow" || !rows[1].OpenedAt.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) || rows[1].ResolvedAt == nil || rows[1].Labels != nil {
		t.Errorf("row 1: %+v", rows[1])
	}
	if got := r.Ignored(); len(got) != 1 || got[0] != "Extra" {
		t.Errorf("ignored %v", got)
	}
	for i, want := range []string{`line 4: has 3 columns, the header has 9`,
		`line 5: column "Opened" (opened_at): "2026-03-01 10:00:00" has no time zone`,
		`line 6: column "Sev" (severity): "9" is not a severity`} {
		if !strings.HasPrefix(errs[i].Error(), want) {
			t.Errorf("error %d: %q, want prefix %q", i, errs[i], want)
		}
	}
}

func TestMapCSVHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"external_id,title,ci,env\n", "no column for severity"},
		{"external_id,title,ci,env,severity,title\n", "appears twice"},
	} {
		_, err := NewCSV(strings.NewReader(tc.in), Mapping{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
	_, err := NewCSV(strings.NewReader("id,title,ci,env,severity\n"), Mapping{"Number": "external_id"})
	if err == nil || !strings.Contains(err.Error(), "Number") {
		t.Errorf("absent mapped column: %v", err)
	}
	for _, bad := range []string{"x", "x=", "x=nope", "x=label.1a"} {
		if _, err := ParseMap([]string{bad}); err == nil {
			t.Errorf("ParseMap(%q) accepted", bad)
		}
	}
}

func TestMapJSON(t *testing.T) {
	in := `[{"external_id":"J-1","title":"t","ci":"c","env":"e","severity":2,"labels":{"a":"b"},"label.team":"x"},
		{"external_id":"J-2","title":"t","ci":"c","env":"e","severity":"P3","opened_at":"2026-03-01T10:00:00"},
		42,
		{"external_id":"J-4","title":["no"],"ci":"c","env":"e","severity":1}]`
	r, err := NewJSON(strings.NewReader(in), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	rows, locs, errs := all(t, r)
	if len(rows) != 1 || rows[0].Severity != 2 || rows[0].Labels["a"] != "b" || rows[0].Labels["team"] != "x" || locs[0] != "object 1" {
		t.Fatalf("rows %+v", rows)
	}
	if len(errs) != 3 || errs[0].Loc != "object 2" || errs[0].Field != "opened_at" || errs[1].Loc != "object 3" || errs[2].Column != "title" {
		t.Fatalf("errs %v", errs)
	}
	if _, err := NewJSON(strings.NewReader(`{"a":1}`), Mapping{}); err == nil {
		t.Error("an object instead of an array was accepted")
	}
}

// FuzzMapCSV: any input maps without panicking; every row either maps to
// something the server can check or is a row error with a line.
func FuzzMapCSV(f *testing.F) {
	f.Add("external_id,title,ci,env,severity,opened_at,label.x\nA,t,c,e,1,2026-03-01T10:00:00Z,v\n")
	f.Add("external_id,title,ci,env,severity\n\"A,t,c,e,1\nB,t\n")
	f.Add("\ufeffexternal_id,title,ci,env,severity,resolved_at\nA,t,c,e,sev-4,2026-03-01 10:00:00+01:00\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := NewCSV(strings.NewReader(in), Mapping{})
		if err != nil {
			return
		}
		for range 10000 {
			row, loc, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if !strings.HasPrefix(re.Loc, "line ") {
					t.Fatalf("row error without a line: %v", re)
				}
				continue
			}
			if err != nil {
				return
			}
			if !strings.HasPrefix(string(loc), "line ") || row.Severity < 1 || row.Severity > 4 {
				t.Fatalf("bad row %+v at %q", row, loc)
			}
			if row.OpenedAt != nil && row.OpenedAt.Location() != time.UTC {
				t.Fatalf("time not normalised: %v", row.OpenedAt)
			}
		}
	})
}

// A JSON object that repeats a column, or holds invalid UTF-8 or NUL, is a
// row error naming the column: it is not read as its last value.
func TestMapJSONRefusesAmbiguousObjects(t *testing.T) {
	in := "[{\"external_id\":\"J-1\",\"title\":\"a\",\"title\":\"b\",\"ci\":\"c\",\"env\":\"e\",\"severity\":2}," +
		"{\"external_id\":\"J-2\",\"title\":\"\xff\",\"ci\":\"c\",\"env\":\"e\",\"severity\":2}," +
		"{\"external_id\":\"J-3\",\"title\":\"t\",\"ci\":\"c\",\"env\":\"e\",\"severity\":2,\"labels\":{\"a\":\"1\",\"a\":\"2\"}}," +
		"{\"external_id\":\"J-4\",\"title\":\"t\\u0000\",\"ci\":\"c\",\"env\":\"e\",\"severity\":2}," +
		"{\"external_id\":\"J-5\",\"title\":\"t\",\"ci\":\"c\",\"env\":\"e\",\"severity\":2}]"
	r, err := NewJSON(strings.NewReader(in), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, errs := all(t, r)
	if len(rows) != 1 || rows[0].ExternalID != "J-5" {
		t.Fatalf("rows %+v", rows)
	}
	want := []string{"title", "title", "labels.a", "title"}
	if len(errs) != len(want) {
		t.Fatalf("errs %v", errs)
	}
	for i, w := range want {
		if errs[i].Column != w || errs[i].Loc != "object "+string(rune('1'+i)) {
			t.Errorf("error %d: %+v, want column %s", i, errs[i], w)
		}
	}
}

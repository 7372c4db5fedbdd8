package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/importer"
	"fixgate/internal/strictjson"
)

// MaxImportRowBytes bounds one row of an import as sent (its JSON object).
const MaxImportRowBytes = 1 << 20

// importBatch is how many rows an import hands the store at a time.
const importBatch = 200

var errRowTooLarge = errors.New("row too large")

// rowLimiter lets the JSON decoder read at most limit bytes of the body in
// total, so that one row cannot make the decoder buffer the whole body.
type rowLimiter struct {
	r          io.Reader
	pos, limit int64
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	if l.pos >= l.limit {
		return 0, errRowTooLarge
	}
	if room := l.limit - l.pos; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.pos += int64(n)
	return n, err
}

// importSpool holds the rows of one import that decoded, in a temporary
// file: the body is read once, row by row, and memory holds one row.
type importSpool struct {
	f    *os.File
	w    *bufio.Writer
	idx  []int // the index in the body of each spooled row
	errs []importRowError
}

// spoolImport reads {"rows":[…]} from body one row at a time. Each row is
// checked and decoded strictly (strictjson) into an importer.Row: a row that
// fails is reported by index and left out, the others are spooled. The
// document itself must be well formed, carry only "rows", at most
// MaxImportRows rows of at most MaxImportRowBytes each, and nothing after
// it; otherwise an Invalid (or TooLarge) error, and the caller writes
// nothing. The caller closes the spool.
func spoolImport(body io.Reader, dir string) (*importSpool, error) {
	f, err := os.CreateTemp(dir, "fixgate-import-*")
	if err != nil {
		return nil, fault.Wrap(err, "create the import spool")
	}
	os.Remove(f.Name()) // unlinked: gone when closed, whatever happens
	sp := &importSpool{f: f, w: bufio.NewWriter(f)}
	if err := sp.read(body); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

func (sp *importSpool) read(body io.Reader) error {
	lim := &rowLimiter{r: body, limit: MaxImportRowBytes}
	dec := json.NewDecoder(lim)
	if err := expectDelim(dec, '{', "body", "must be a JSON object"); err != nil {
		return err
	}
	sawRows := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return streamError(err, "body")
		}
		key, _ := tok.(string)
		switch {
		case key == "":
			return fault.Field("body", "an empty key is not a field")
		case key == "rows" && sawRows:
			return fault.Field("rows", "appears twice in the same object")
		case strings.EqualFold(key, "rows"):
			if key != "rows" {
				return fault.Field(key, "is not a field: keys are case-sensitive, did you mean \"rows\"?")
			}
		default:
			return fault.Field(key, "is not a field that can be set here")
		}
		sawRows = true
		if err := sp.rows(dec, lim); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return streamError(err, "body")
	}
	lim.limit = math.MaxInt64 // white space may follow; the route's body limit bounds it
	if _, err := dec.Token(); err != io.EOF {
		return fault.Field("body", "unexpected data after the JSON object")
	}
	if len(sp.idx)+len(sp.errs) == 0 {
		return fault.Field("rows", "is empty: send at least one row")
	}
	return fault.Wrap(sp.w.Flush(), "write the import spool")
}

// rows reads the array of rows, one at a time.
func (sp *importSpool) rows(dec *json.Decoder, lim *rowLimiter) error {
	tok, err := dec.Token()
	if err != nil {
		return streamError(err, "rows")
	}
	if tok == nil {
		return nil // "rows": null, refused as empty
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fault.Field("rows", "must be an array of rows")
	}
	enc := json.NewEncoder(sp.w)
	for n := 0; dec.More(); n++ {
		if n == MaxImportRows {
			return fault.Field("rows", "has more than %d rows: send at most %d per request", MaxImportRows, MaxImportRows)
		}
		lim.limit = dec.InputOffset() + MaxImportRowBytes
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, errRowTooLarge) {
				return fault.Field("rows["+strconv.Itoa(n)+"]", "is longer than %d bytes", MaxImportRowBytes)
			}
			return streamError(err, "rows["+strconv.Itoa(n)+"]")
		}
		var row importer.Row
		if err := decodeRow(raw, &row); err != nil {
			fe := fault.As(err)
			sp.errs = append(sp.errs, importRowError{Row: n, Field: fe.Field, Error: fe.Message})
			continue
		}
		if err := enc.Encode(row); err != nil {
			return fault.Wrap(err, "write the import spool")
		}
		sp.idx = append(sp.idx, n)
	}
	_, err = dec.Token() // ']'
	lim.limit = dec.InputOffset() + MaxImportRowBytes
	return streamError(err, "rows")
}

// decodeRow decodes one row strictly; errors name the row's field.
func decodeRow(raw []byte, row *importer.Row) error {
	if err := strictjson.Check(raw, row, strictjson.Options{String: checkTime}); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, row); err != nil {
		return jsonError(err)
	}
	return nil
}

// batches rewinds the spool and returns a function delivering its rows
// importBatch at a time (an empty batch at the end).
func (sp *importSpool) batches() (func() ([]importer.Row, error), error) {
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, fault.Wrap(err, "read the import spool")
	}
	dec := json.NewDecoder(bufio.NewReader(sp.f))
	return func() ([]importer.Row, error) {
		var out []importer.Row
		for len(out) < importBatch {
			var row importer.Row
			if err := dec.Decode(&row); err == io.EOF {
				break
			} else if err != nil {
				return nil, fault.Wrap(err, "read the import spool")
			}
			out = append(out, row)
		}
		return out, nil
	}, nil
}

// Close removes the spool.
func (sp *importSpool) Close() error { return sp.f.Close() }

func expectDelim(dec *json.Decoder, want json.Delim, field, msg string) error {
	tok, err := dec.Token()
	if err != nil {
		return streamError(err, field)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fault.Field(field, "%s", msg)
	}
	return nil
}

// streamError classifies an error of the streaming decoder; a body over
// the route's limit is TooLarge.
func streamError(err error, field string) error {
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fault.Error{Code: fault.TooLarge, Field: "body", Message: "request body exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
	}
	if errors.Is(err, errRowTooLarge) {
		return fault.Field(field, "holds a value longer than %d bytes", MaxImportRowBytes)
	}
	fe := fault.As(jsonError(err))
	if fe.Field == "body" {
		fe.Field = field // where the document broke
	}
	return fe
}

// Package strictjson checks a JSON document before encoding/json decodes it,
// closing the gaps encoding/json leaves open for client input: it matches
// keys case-insensitively ({"Title":…} sets title), keeps the last of
// duplicate keys, replaces invalid UTF-8 silently and ignores what follows
// the value when asked to decode only one. Check refuses all of these, so
// that what a client sent means exactly one thing.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"fixgate/internal/fault"
)

// Options tune Check.
type Options struct {
	// AllowUnknown accepts keys that name no field of the target (a webhook
	// whose sender adds fields across versions); a key that differs from a
	// field only in letter case is refused all the same.
	AllowUnknown bool
	// Prefix is prepended to the paths in errors ("alerts[3]").
	Prefix string
	// String, when set, checks every string value; key is the key of the
	// object (or array) holding it.
	String func(path, key, value string) error
}

// MaxDepth bounds the nesting of objects and arrays.
const MaxDepth = 32

// Check reports whether data is exactly one JSON object, with nothing but
// white space after it, fit to decode into v (a pointer, or nil for no
// target): every key of an object decoded into a struct must spell one of
// its fields exactly (the JSON name, case-sensitive) and appear once in any
// letter case (encoding/json would fill one field from "a" and "A"); no
// other object repeats a key exactly (maps, such as Prometheus labels, keep
// "env" and "Env" apart); no key or string holds invalid UTF-8 or NUL.
// Errors are Invalid and name the dotted path of the key at fault ("body"
// for the document as a whole).
func Check(data []byte, v any, opt Options) error {
	c := &checker{data: data, opt: opt, utf8OK: utf8.Valid(data)}
	c.dec = json.NewDecoder(bytes.NewReader(data))
	c.dec.UseNumber()
	tok, err := c.dec.Token()
	if err != nil {
		return c.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fault.Field(c.where(opt.Prefix), "must be a JSON object")
	}
	var t reflect.Type
	if v != nil {
		t = reflect.TypeOf(v)
	}
	if err := c.object(opt.Prefix, target(t), 0); err != nil {
		return err
	}
	// JSON's white space is space, tab, LF and CR only (RFC 8259 §2);
	// bytes.TrimSpace would also pass \v, \f, U+0085 and U+00A0.
	if rest := bytes.Trim(data[c.dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fault.Field(c.where(opt.Prefix), "unexpected data after the JSON object at byte %d", c.dec.InputOffset())
	}
	return nil
}

type checker struct {
	data   []byte
	dec    *json.Decoder
	opt    Options
	utf8OK bool
}

func (c *checker) where(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// syntax classifies a tokenizer error.
func (c *checker) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fault.Field(c.where(c.opt.Prefix), "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fault.Field(c.where(c.opt.Prefix), "truncated JSON")
	}
	return fault.Field(c.where(c.opt.Prefix), "invalid JSON: %v", err)
}

// token reads the next token and, for a string, checks its raw bytes; a
// key's errors name the object holding it.
func (c *checker) token(path string, isKey bool) (json.Token, error) {
	start := c.dec.InputOffset()
	tok, err := c.dec.Token()
	if err != nil {
		return nil, c.syntax(err)
	}
	if s, ok := tok.(string); ok {
		what := ""
		if isKey {
			what = "holds a key that "
		}
		if !c.utf8OK && !utf8.Valid(c.data[start:c.dec.InputOffset()]) {
			return nil, fault.Field(c.where(path), "%sis not valid UTF-8", what)
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fault.Field(c.where(path), "%scontains a NUL character", what)
		}
	}
	return tok, nil
}

func (c *checker) object(path string, t reflect.Type, depth int) error {
	if depth > MaxDepth {
		return fault.Field(c.where(path), "nested too deeply")
	}
	fields := fieldsOf(t)
	seen := map[string]string{}
	for c.dec.More() {
		tok, err := c.token(path, true)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if key == "" {
			return fault.Field(c.where(path), "an empty key is not a field")
		}
		p := join(path, key)
		norm := key
		if fields != nil {
			norm = fold(key) // encoding/json would fill one field from both
		}
		if first, dup := seen[norm]; dup {
			if first == key {
				return fault.Field(p, "appears twice in the same object")
			}
			return fault.Field(p, "repeats the key %q in another letter case", first)
		}
		seen[norm] = key
		var vt reflect.Type
		switch {
		case fields != nil:
			if vt, err = c.field(fields, p, key); err != nil {
				return err
			}
		case t != nil && t.Kind() == reflect.Map:
			vt = t.Elem()
		}
		if err := c.value(p, key, target(vt), depth); err != nil {
			return err
		}
	}
	_, err := c.token(path, false) // '}'
	return err
}

// field returns the type of the struct field key names exactly, nil for an
// unknown key the options allow.
func (c *checker) field(fields map[string]reflect.Type, path, key string) (reflect.Type, error) {
	if ft, ok := fields[key]; ok {
		return ft, nil
	}
	for name := range fields {
		if strings.EqualFold(name, key) {
			return nil, fault.Field(path, "is not a field: keys are case-sensitive, did you mean %q?", name)
		}
	}
	if !c.opt.AllowUnknown {
		return nil, fault.Field(path, "is not a field that can be set here")
	}
	return nil, nil
}

func (c *checker) value(path, key string, t reflect.Type, depth int) error {
	tok, err := c.token(path, false)
	if err != nil {
		return err
	}
	switch x := tok.(type) {
	case json.Delim:
		if x == '{' {
			if t != nil && t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
				t = nil // a type error, reported by encoding/json
			}
			return c.object(path, t, depth+1)
		}
		if t != nil && t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			t = nil
		}
		if depth+1 > MaxDepth {
			return fault.Field(c.where(path), "nested too deeply")
		}
		for i := 0; c.dec.More(); i++ {
			var et reflect.Type
			if t != nil {
				et = target(t.Elem())
			}
			if err := c.value(path+"["+strconv.Itoa(i)+"]", key, et, depth+1); err != nil {
				return err
			}
		}
		_, err := c.token(path, false) // ']'
		return err
	case string:
		if c.opt.String != nil {
			return c.opt.String(c.where(path), key, x)
		}
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessage      = reflect.TypeFor[json.RawMessage]()
)

// target returns the type whose keys Check can follow: pointers are
// dereferenced; types that decode themselves, raw messages and interfaces
// give nil (only the structural checks apply below them).
func target(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) {
			return nil
		}
		t = t.Elem()
	}
	if t == nil || t == rawMessage || t.Kind() == reflect.Interface ||
		reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	return t
}

// fieldsOf returns the JSON names of a struct's fields (promoted fields of
// embedded structs included) and their types; nil for other kinds.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]reflect.Type{}
	addFields(t, out, 0)
	return out
}

func addFields(t reflect.Type, out map[string]reflect.Type, depth int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && depth < 8 {
				addFields(ft, out, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup || depth == 0 {
			out[name] = ft
		}
	}
}

// fold maps s to one spelling per class of strings equal under Unicode
// simple case folding (strings.EqualFold, as encoding/json matches keys).
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		b.WriteRune(low)
	}
	return b.String()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

package jira

import "encoding/json"

// Named is a status, issue type or priority as an issue's field holds it;
// tm keeps only the name.
type Named struct {
	Name string `json:"name"`
}

// DecodeField reads one field's value, as Jira sent it, the way
// json.Unmarshal into a zero T does: the same value — partly filled when
// that fails — and ok when json.Unmarshal would return nil. Strings,
// string arrays, Named and User, the shapes a listing is made of, are read
// without reflection; other types and anything unusual (escapes, keys
// matched ignoring case, invalid JSON) go to encoding/json.
func DecodeField[T any](raw json.RawMessage) (v T, ok bool) {
	if len(raw) == 0 {
		return v, false // not sent: json.Unmarshal fails before decoding anything
	}
	if scanField(raw, &v) {
		return v, true
	}
	var w T
	err := json.Unmarshal(raw, &w)
	return w, err == nil
}

func scanField(raw []byte, dst any) bool {
	s := scanner{b: raw}
	return s.whole(func() bool { return s.field(dst) })
}

// field reads a value of a type DecodeField knows into dst. null leaves
// dst as it is, as encoding/json does.
func (s *scanner) field(dst any) bool {
	switch d := dst.(type) {
	case *string:
		return s.null() || s.string(d)
	case *[]string:
		return s.null() || s.strings(d)
	case *Named:
		return s.null() || s.object(func(key []byte) bool {
			if string(key) == "name" {
				return s.string(&d.Name)
			}
			return s.unknownKey(key, "name")
		})
	case *User:
		return s.null() || s.object(func(key []byte) bool { return s.userField(key, d) })
	}
	return false
}

func (s *scanner) userField(key []byte, u *User) bool {
	switch string(key) {
	case "accountId":
		return s.string(&u.AccountID)
	case "name":
		return s.string(&u.Name)
	case "displayName":
		return s.string(&u.DisplayName)
	case "emailAddress":
		return s.string(&u.EmailAddress)
	}
	return s.unknownKey(key, "accountId", "name", "displayName", "emailAddress")
}

// strings reads an array of strings; [] is an empty array, not nil, as
// encoding/json makes it.
func (s *scanner) strings(dst *[]string) bool {
	out := []string{}
	ok := s.array(func() bool {
		var v string
		if !s.string(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	*dst = out
	return ok
}

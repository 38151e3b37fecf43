package jira

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fieldCases are field values DecodeField must read fast (for the type
// named) or leave to encoding/json; either way, for every type, the value
// and success must be encoding/json's.
var fieldCases = []struct {
	name, raw string
	fast      string // the types read fast
}{
	{"summary", `"Login page fails after a timeout (case 3)"`, "string"},
	{"non-ASCII summary", `"通知設定 Käyttäjäprofiili 😀"`, "string"},
	{"time", `"2026-12-04T20:57:18.975+0000"`, "string"},
	{"empty string", `""`, "string"},
	{"status", `{"description":"","iconUrl":"http://x/generic.png","id":"10000","name":"To Do","self":"http://x/status/10000","statusCategory":{"colorName":"blue-gray","id":2,"key":"new","name":"To Do","self":"http://x/statuscategory/2"}}`, "Named User"},
	{"issue type", `{"avatarId":10318,"description":"A small, distinct piece of work.","hierarchyLevel":0,"iconUrl":"http://x/10318?size=medium","id":"10001","name":"Task","subtask":false}`, "Named User"},
	{"name sent twice", `{"name":"a","name":"b"}`, "Named User"},
	{"no name", `{"id":"3"}`, "Named User"},
	{"Cloud user", `{"accountId":"5b10a2844c20165700ede21a","accountType":"atlassian","active":true,"avatarUrls":{"16x16":"https://a/AM-1.png?size=16&s=16"},"displayName":"Alex Morgan","emailAddress":"alex@sandbox.example","self":"http://x/user?accountId=5b10","timeZone":"Europe/Berlin"}`, "Named User"},
	{"Data Center user", `{"name":"alex","key":"JIRAUSER10000","displayName":"Alex Morgan","emailAddress":"alex@example.com","active":true}`, "Named User"},
	{"labels", `["backend","ui","日本"]`, "[]string"},
	{"no labels", `[]`, "[]string"},
	{"whitespace around", " \n{ \"name\" : \"Done\" }\t", "Named User"},
	{"empty object", `{}`, "Named User"},
	{"null", `null`, "string []string Named User"},
	{"escape in a string", `"a \"quoted\" word\n"`, ""},
	{"escape in a name", `{"name":"\u00c5"}`, ""},
	{"invalid UTF-8", "\"a\xffb\"", ""},
	{"name matched ignoring case", `{"Name":"x"}`, ""},
	{"display name matched ignoring case", `{"displayname":"x"}`, "Named"},
	{"raw Kelvin sign in a key", "{\"\u212aey\":1}", ""},
	{"raw long s matching emailAddress", "{\"emailAddre\u017fs\":\"x\"}", ""},
	{"null name", `{"name":null}`, ""},
	{"null in labels", `["a",null]`, ""},
	{"number in labels", `["a",1,"b"]`, ""},
	{"number", `42`, ""},
	{"true", `true`, ""},
	{"array for a name", `[{"name":"x"}]`, ""},
	{"trailing garbage", `"a" "b"`, ""},
	{"truncated", `{"name":"x"`, ""},
	{"run-on null", `nullx`, ""},
	{"nested deeper than encoding/json allows", `{"x":` + nested(10000) + `,"name":"a"}`, ""},
	{"empty", ``, ""},
}

func TestDecodeFieldAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			checkFieldsAgainstEncodingJSON(t, []byte(tc.raw))
			fast := map[string]bool{
				"string":   readsFast[string](tc.raw),
				"[]string": readsFast[[]string](tc.raw),
				"Named":    readsFast[Named](tc.raw),
				"User":     readsFast[User](tc.raw),
			}
			for typ, ok := range fast {
				if want := slices.Contains(strings.Fields(tc.fast), typ); ok != want {
					t.Errorf("%s read fast: %v; want %v", typ, ok, want)
				}
			}
		})
	}
}

// readsFast reports whether DecodeField takes raw as a T without
// encoding/json.
func readsFast[T any](raw string) bool {
	var v T
	return scanField([]byte(raw), &v)
}

// checkFieldsAgainstEncodingJSON fails when DecodeField answers raw
// otherwise than json.Unmarshal, for any type a field is read as.
func checkFieldsAgainstEncodingJSON(t *testing.T, raw []byte) {
	t.Helper()
	checkField[string](t, raw)
	checkField[[]string](t, raw)
	checkField[Named](t, raw)
	checkField[User](t, raw)
	checkField[[]json.RawMessage](t, raw) // a type read by encoding/json only
}

func checkField[T any](t *testing.T, raw []byte) {
	t.Helper()
	var want T
	err := json.Unmarshal(raw, &want)
	got, ok := DecodeField[T](raw)
	if ok != (err == nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%T: read %#v, %v; encoding/json %#v, %v\n%.300q", got, got, ok, want, err, raw)
	}
}

func FuzzDecodeField(f *testing.F) {
	for _, tc := range fieldCases {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkFieldsAgainstEncodingJSON(t, raw) })
}

package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// The session codec keeps every value type sessions hold, and still opens
// sessions stored by scs's gob codec before it.
func TestSessionCodec(t *testing.T) {
	deadline := time.Unix(1_900_000_000, 123456789)
	values := map[string]any{keyUserID: "u1", keySeen: int64(1_800_000_000), keyDraft: []byte(`{"summary":"x"}`), keyFlash: ""}
	for name, encode := range map[string]func(time.Time, map[string]any) ([]byte, error){
		"json": sessionCodec{}.Encode, "gob (stored before)": scs.GobCodec{}.Encode} {
		b, err := encode(deadline, values)
		if err != nil {
			t.Fatal(err)
		}
		gotDeadline, got, err := sessionCodec{}.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !gotDeadline.Equal(deadline) || !reflect.DeepEqual(got, values) {
			t.Errorf("%s: decoded %v %#v, want %v %#v", name, gotDeadline, got, deadline, values)
		}
	}
	// A type the JSON form does not carry goes through gob whole.
	b, err := sessionCodec{}.Encode(deadline, map[string]any{"n": 3.5, keyUserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := (sessionCodec{}).Decode(b); err != nil || got["n"] != 3.5 || got[keyUserID] != "u1" {
		t.Errorf("float value: %#v, %v", got, err)
	}
}

func FuzzSessionCodecDecode(f *testing.F) {
	b, _ := sessionCodec{}.Encode(time.Unix(0, 0), map[string]any{"uid": "u", "seen": int64(1)})
	f.Add(b)
	f.Add([]byte(sessionJSONTag + `{"d":1,"s":{"a":"b"}}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = sessionCodec{}.Decode(data) // must not panic
	})
}

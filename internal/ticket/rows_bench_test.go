package ticket

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParseRows reads a CSV file of 1,000 rows, as the benchmark's
// bulk create sends.
func BenchmarkParseRows(b *testing.B) {
	var s strings.Builder
	s.WriteString("summary,labels\n")
	for i := range 1000 {
		s.WriteString("Benchmark ticket " + strconv.Itoa(i+1) + ",bench\n")
	}
	data := []byte(s.String())
	b.ReportAllocs()
	for b.Loop() {
		rows, err := ParseRows(data, false)
		if err != nil || len(rows) != 1000 {
			b.Fatal(len(rows), err)
		}
	}
}

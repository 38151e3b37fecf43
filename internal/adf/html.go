package adf

import "bytes"

// HTML renders Markdown as HTML for a preview, with the GFM extensions the
// conversion to ADF reads. Raw HTML in the source is left out and unsafe
// link targets (javascript:, …) are dropped, as goldmark does by default.
func HTML(src []byte) (string, error) {
	var b bytes.Buffer
	if err := markdown().Convert(src, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

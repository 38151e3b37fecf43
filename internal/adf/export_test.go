package adf

// GoldenMarkdown lends the golden Markdown files to the black-box tests.
var GoldenMarkdown = goldenMarkdown

package web

import "embed"

// The pages' templates: _*.html are the layout and partials every page shares.
//
//go:embed all:templates
var templateFS embed.FS

package main

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/static"
)

// TestTemplateClassesAreStyled checks that every utrecht-* and rz-* class
// used in a template has a rule in the shipped CSS: the vendored library is
// purged to what the templates used when static/vendor/build.sh last ran.
func TestTemplateClassesAreStyled(t *testing.T) {
	var css strings.Builder
	for _, name := range []string{"vendor/utrecht/component-library.css", "vendor/voorbeeld/theme.css", "css/raadzaam.css"} {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		css.Write(b)
	}
	classAttr := regexp.MustCompile(`class="([^"]+)"`)
	names, _ := fs.Glob(templateFS, "templates/*.html")
	checked := 0
	for _, name := range names {
		b, _ := fs.ReadFile(templateFS, name)
		for _, m := range classAttr.FindAllStringSubmatch(string(b), -1) {
			for _, class := range strings.Fields(m[1]) {
				if strings.Contains(class, "{{") || class == "voorbeeld-theme" {
					continue
				}
				checked++
				if !regexp.MustCompile(`\.` + regexp.QuoteMeta(class) + `[^a-zA-Z0-9_-]`).MatchString(css.String()) {
					t.Errorf("%s: class %q has no CSS rule; run static/vendor/build.sh after changing templates", name, class)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d classes", checked)
	}
}

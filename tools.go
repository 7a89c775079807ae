//go:build tools

package tools

import (
	_ "github.com/cucumber/godog"
	_ "github.com/ory/fosite"
	_ "github.com/playwright-community/playwright-go"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)

package steps

import "github.com/playwright-community/playwright-go"

// Local names for the Playwright types the page log uses.
type (
	playwrightRequest  = playwright.Request
	playwrightResponse = playwright.Response
)

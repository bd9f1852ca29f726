// Package web is the console: server-rendered HTML pages for marketers and
// store or hotline agents, served by `sagitta serve` at / beside the /v1 API.
//
// Templates, message catalogues (English and Simplified Chinese) and assets
// are embedded with //go:embed, so the binary works offline. Charts use
// Apache ECharts, which `go generate ./internal/web` installs from the npm
// registry (internal/web/_npm/package-lock.json) and copies into
// assets/vendor; that file is not in the repository. Without it every page
// still works and shows a note where a chart would be, next to the table
// of the same figures.
//
// Access: a user logs in with an API key (store.APIKey); the session lives
// in memory, keyed by a random HttpOnly SameSite=Lax cookie, and carries a
// CSRF token that every POST must send back. admin sees personal data;
// analyst and operator see e-mail, phone, names, birth date and postcode
// masked. Saving tags, segments and admission entries needs admin or
// operator, as in the API.
//
// Adding a page (models, campaigns, …): one entry in nav (pages.go), one
// route in routes, a template templates/NAME.html defining "content", and
// its messages in messages/en.json and messages/zh.json
// (TestCataloguesCoverTemplates checks them).
//
// The package reads the store only through store.Store and the insight
// service; it must not import a concrete store or internal/api.
package web

// Package api serves Sagitta's JSON API over net/http under /v1: ingestion of
// customers, items, order lines and events, the customer 360 profile, store
// statistics, a health check and the OpenAPI document describing all of it.
//
// The route table lives in routes.go and the mapping of errors to HTTP
// statuses in errors.go; nothing else writes an error response. Every route
// but health and openapi.json needs an API key; access is by role.
//
// Logs name the route pattern, never the raw path (paths hold e-mail
// addresses and phone numbers), and never hold bodies, e-mail, phone or
// secrets.
//
// api is wired by app with a store.Store; it must not import a concrete store
// (store/sqlite, store/postgres) outside its tests, nor the cli or web packages.
package api

// Package apikey creates API keys and hashes their secrets.
//
// A key's secret has the form sgt_<id>_<random>, where id is the short public
// id shown in lists and logs and random is 32 bytes from crypto/rand. Only the
// hex SHA-256 of the whole secret is stored; the secret is shown once, when the
// key is created, and cannot be recovered.
//
// It imports store (for the APIKey record and the roles) and the standard
// library only: no backend, no HTTP.
package apikey

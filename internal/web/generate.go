package web

//go:generate go run gen_assets.go

package web

import (
	"io/fs"
	"os"
)

type osDir struct{}

func (osDir) Open(name string) (fs.File, error) { return os.Open(name) }

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

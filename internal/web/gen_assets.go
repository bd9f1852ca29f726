//go:build ignore

// gen_assets installs the console's third-party browser code from the npm
// registry (versions pinned in _npm/package-lock.json) and copies the built
// files into assets/vendor, which //go:embed then puts into the binary.
// Run it with `go generate ./internal/web`.
//
// Without npm it prints a warning and exits 0, so that `go generate` works
// anywhere: the console then runs without charts. With
// SAGITTA_REQUIRE_ASSETS=1 (CI) a missing npm is an error.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

var files = map[string]string{ // node_modules path -> assets/vendor name
	"echarts/dist/echarts.min.js": "echarts.min.js",
	"echarts/LICENSE":             "echarts.LICENSE.txt",
	"echarts/NOTICE":              "echarts.NOTICE.txt",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_assets:", err)
		os.Exit(1)
	}
}

func run() error {
	lock, err := os.ReadFile(filepath.Join("_npm", "package-lock.json"))
	if err != nil {
		return fmt.Errorf("cannot read the lock file (run from internal/web): %w", err)
	}
	sum := sha256.Sum256(lock)
	stamp := hex.EncodeToString(sum[:])
	vendor := filepath.Join("assets", "vendor")
	if old, err := os.ReadFile(filepath.Join(vendor, ".stamp")); err == nil && string(old) == stamp && complete(vendor) {
		fmt.Println("gen_assets: assets/vendor is up to date")
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("SAGITTA_REQUIRE_ASSETS") == "1" {
			return fmt.Errorf("npm not found; install Node.js and npm")
		}
		fmt.Fprintln(os.Stderr, "gen_assets: npm not found: the console will run without charts (install Node.js and npm, then run go generate ./internal/web)")
		return nil
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = "_npm"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in internal/web/_npm: %w", err)
	}
	if err := os.MkdirAll(vendor, 0o755); err != nil {
		return err
	}
	for src, dst := range files {
		if err := copyFile(filepath.Join("_npm", "node_modules", src), filepath.Join(vendor, dst)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(vendor, ".stamp"), []byte(stamp), 0o644); err != nil {
		return err
	}
	fmt.Println("gen_assets: copied ECharts into internal/web/assets/vendor")
	return nil
}

func complete(dir string) bool {
	for _, dst := range files {
		if _, err := os.Stat(filepath.Join(dir, dst)); err != nil {
			return false
		}
	}
	return true
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("cannot copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(dst+".tmp", dst)
}

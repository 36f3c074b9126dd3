package gosource

import (
	"fmt"
	"strconv"
	"strings"
)

// hint says what to install or pass for a package's source.
func (r *Resolver) hint(path string) string {
	sig := "or --signature 'func(name type, ...) (result type)'"
	if path == "main" || path == r.loc.mainPath() {
		return "pass --source DIR (the main module's source tree), " + sig
	}
	if mod, isMain := r.loc.module(path); mod != nil {
		if isMain {
			return "pass --source DIR (a checkout of " + mod.Path + "), " + sig
		}
		m := mod
		if mod.Replace != nil {
			m = mod.Replace
		}
		return fmt.Sprintf("run `go mod download %s@%s` (into the module cache), or --source DIR (a tree with vendor/), %s", m.Path, m.Version, sig)
	}
	if isStd(path) {
		minor := goMinor(r.loc.goVersion)
		if minor < 0 {
			return "pass --go-source DIR (the GOROOT of the Go that built the binary), " + sig
		}
		v := "1." + strconv.Itoa(minor)
		return fmt.Sprintf("apt-get install golang-%s-src, or --go-source DIR (a Go %s GOROOT), %s", v, v, sig)
	}
	return fmt.Sprintf("pass --source DIR (a tree with vendor/%s), or install the Debian package that ships %s/%s (%s), %s",
		path, debianGocode, path, debianDevPackage(path), sig)
}

// debianDevPackage guesses Debian's name for the package shipping an
// import path, by its naming policy: golang.org/x/sys is
// golang-golang-x-sys-dev, github.com/foo/bar golang-github-foo-bar-dev.
func debianDevPackage(path string) string {
	parts := strings.Split(path, "/")
	host := parts[0]
	switch {
	case strings.HasSuffix(host, ".com") || strings.HasSuffix(host, ".org") || strings.HasSuffix(host, ".io") || strings.HasSuffix(host, ".in"):
		host = host[:strings.LastIndexByte(host, '.')]
	}
	n := 3
	if len(parts) < n {
		n = len(parts)
	}
	name := strings.Join(append([]string{host}, parts[1:n]...), "-")
	return "likely golang-" + strings.ToLower(strings.ReplaceAll(name, ".", "-")) + "-dev"
}

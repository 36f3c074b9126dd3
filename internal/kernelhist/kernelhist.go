// Package kernelhist is what stapgen knows of the Linux kernel's history:
// functions that were renamed, so that a name from an old tutorial or
// script leads to the current one. It is the one place for such facts.
package kernelhist

// renamed maps an old kernel function name to the names that replaced it
// (in the order a suggestion lists them).
var renamed = map[string][]string{
	"__lookup_hash":        {"lookup_one_qstr_excl"},
	"do_sys_open":          {"do_sys_openat2"},
	"sys_open":             {"do_sys_openat2", "__x64_sys_openat"},
	"tcp_sendmsg_pg":       {"tcp_sendmsg_locked"},
	"generic_make_request": {"submit_bio_noacct"},
	"blk_mq_make_request":  {"blk_mq_submit_bio"},
}

// Renamed returns the current names of a renamed kernel function, nil for
// a name with no known rename. The slice is fresh.
func Renamed(old string) []string {
	return append([]string(nil), renamed[old]...)
}

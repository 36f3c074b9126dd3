package event

import (
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errnoText is syscall.Errno's Error text. The traced program is a Linux
// amd64 binary and so is stapgen's own syscall table, so the texts agree.
func errnoText(n uint64) string { return syscall.Errno(n).Error() }

// errnoNames are the C names of the errors Go programs meet most, for
// JSON beside the text.
var errnoNames = map[uint64]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 9: "EBADF",
	10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST",
	18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE",
	25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
	32: "EPIPE", 36: "ENAMETOOLONG", 38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP",
	98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 103: "ECONNABORTED", 104: "ECONNRESET",
	110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH",
}

// ErrnoName is the C name of errno n, "" when the table lacks it.
func ErrnoName(n uint64) string { return errnoNames[n] }

func durationText(n int64) string { return time.Duration(n).String() }

// time.Time's words (Go 1.9 to 1.27): wall holds, with its top bit set, 33
// bits of seconds since 1885 above 30 bits of nanoseconds, and ext the
// monotonic reading; without it, ext is seconds since January 1, year 1.
const (
	hasMonotonic   = 1 << 63
	nsecMask       = 1<<30 - 1
	nsecShift      = 30
	daysTo1885     = 1884*365 + 1884/4 - 1884/100 + 1884/400
	daysTo1970     = 1969*365 + 1969/4 - 1969/100 + 1969/400
	wallToInternal = daysTo1885 * 86400
	unixToInternal = daysTo1970 * 86400
)

// timeText is a UTC time.Time (its location pointer nil) as String
// prints it, with the monotonic reading when the value has one.
func timeText(wall uint64, ext int64) string {
	nsec := int64(wall & nsecMask)
	sec := ext
	if wall&hasMonotonic != 0 {
		sec = wallToInternal + int64(wall<<1>>(nsecShift+1))
	}
	s := time.Unix(sec-unixToInternal, nsec).UTC().String()
	if wall&hasMonotonic != 0 {
		sign, m := "+", ext
		if m < 0 {
			sign, m = "-", -m
		}
		frac := strconv.FormatInt(m%1e9+1e9, 10)[1:]
		s += " m=" + sign + strconv.FormatInt(m/1e9, 10) + "." + frac
	}
	return s
}

// parseTime reads a time.Time token, WALL/EXT/0xLOC (decimal words, the
// location pointer in hex), into Uint, Int and DataWord.
func (v *Value) parseTime(tok []byte) error {
	parts := strings.Split(string(tok), "/")
	if len(parts) != 3 {
		return errToken
	}
	w, err1 := strconv.ParseUint(parts[0], 10, 64)
	x, err2 := strconv.ParseInt(parts[1], 10, 64)
	l, err3 := parseHex([]byte(parts[2]))
	if err1 != nil || err2 != nil || err3 != nil {
		return errToken
	}
	v.Uint, v.Int, v.DataWord = w, x, l
	return nil
}

// timeString is the time as String prints it when its location is UTC
// (nil); another location's name is not read, so the instant prints in
// UTC with the location's address.
func (v Value) timeString() string {
	s := timeText(v.Uint, v.Int)
	if v.DataWord != 0 {
		s += " (location 0x" + strconv.FormatUint(v.DataWord, 16) + " not read; shown in UTC)"
	}
	return s
}

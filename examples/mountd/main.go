// Command mountd is the example target for stapgen: a small Go daemon that
// calls syscall.Mount the way container runtimes do, with arguments that make
// the call fail harmlessly (the mount point does not exist), and prints what
// it passed so a trace can be checked against it:
//
//	MOUNT source="overlay" target="/nonexistent/stapgen-demo/0" fstype="overlay" flags=0 data="lowerdir=/a,upperdir=/b" err=no such file or directory
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 5, "number of mount calls")
	every := flag.Duration("every", 200*time.Millisecond, "pause between calls")
	wait := flag.Duration("wait", 0, "pause before the first call (lets a tracer attach)")
	flag.Parse()
	time.Sleep(*wait)
	for i := 0; i < *n; i++ {
		target := fmt.Sprintf("/nonexistent/stapgen-demo/%d", i)
		data := "lowerdir=/a,upperdir=/b"
		err := syscall.Mount("overlay", target, "overlay", 0, data)
		fmt.Printf("MOUNT source=%q target=%q fstype=%q flags=%d data=%q err=%v\n", "overlay", target, "overlay", 0, data, err)
		time.Sleep(*every)
	}
	fmt.Fprintln(os.Stderr, "mountd: done")
}

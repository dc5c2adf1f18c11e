// Command task is the entrypoint of the docker runner's test image. Its arguments are steps, run
// in order:
//
//	env          print the environment, sorted, one K=V a line
//	getenv NAME  print NAME=VALUE
//	print N      print N numbered lines, odd ones on stdout and even ones on stderr
//	sleep D      sleep for D (a Go duration)
//	limits       print the cgroup's memory limit and cpu quota as memory=BYTES cpu=QUOTA/PERIOD
//	dial ADDR    connect to ADDR over TCP and send "hello"
//	ask ADDR     connect to ADDR over TCP, read a number and exit with it as the code
//	alloc MB     allocate and touch MB mebibytes
//	exit N       exit with code N
package main

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	for len(args) > 0 {
		step := args[0]
		arg := ""
		if step != "env" && step != "limits" {
			if len(args) < 2 {
				fail("%s needs an argument", step)
			}
			arg, args = args[1], args[1:]
		}
		args = args[1:]
		switch step {
		case "env":
			env := os.Environ()
			slices.Sort(env)
			for _, kv := range env {
				fmt.Println(kv)
			}
		case "print":
			n, _ := strconv.Atoi(arg)
			for i := 1; i <= n; i++ {
				if i%2 == 1 {
					fmt.Fprintf(os.Stdout, "line %d\n", i)
				} else {
					fmt.Fprintf(os.Stderr, "line %d\n", i)
				}
			}
		case "sleep":
			d, err := time.ParseDuration(arg)
			if err != nil {
				fail("sleep: %v", err)
			}
			time.Sleep(d)
		case "limits":
			fmt.Printf("memory=%s cpu=%s\n", memoryLimit(), cpuQuota())
		case "getenv":
			fmt.Printf("%s=%s\n", arg, os.Getenv(arg))
		case "ask":
			c, err := net.DialTimeout("tcp", arg, 5*time.Second)
			if err != nil {
				fail("ask: %v", err)
			}
			var code int
			fmt.Fscan(c, &code)
			c.Close()
			fmt.Println("told to exit", code)
			os.Exit(code)
		case "dial":
			c, err := net.DialTimeout("tcp", arg, 5*time.Second)
			if err != nil {
				fail("dial: %v", err)
			}
			c.Write([]byte("hello"))
			c.Close()
		case "alloc":
			mb, _ := strconv.Atoi(arg)
			var keep [][]byte
			for range mb {
				b := make([]byte, 1<<20)
				for i := range b {
					b[i] = 1
				}
				keep = append(keep, b)
			}
			fmt.Println("allocated", len(keep), "MiB")
		case "exit":
			code, _ := strconv.Atoi(arg)
			os.Exit(code)
		default:
			fail("unknown step %q", step)
		}
	}
}

// memoryLimit reads the limit under cgroup v2, else v1.
func memoryLimit() string {
	if v := read("/sys/fs/cgroup/memory.max"); v != "" {
		return v
	}
	return read("/sys/fs/cgroup/memory/memory.limit_in_bytes")
}

func cpuQuota() string {
	if v := read("/sys/fs/cgroup/cpu.max"); v != "" {
		return strings.Replace(v, " ", "/", 1)
	}
	return read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") + "/" + read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
}

func read(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "task: "+format+"\n", args...)
	os.Exit(100)
}

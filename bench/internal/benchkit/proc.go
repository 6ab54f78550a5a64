package benchkit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcMemory reads VmRSS and VmHWM (the peak RSS since the process
// started), in bytes, from /proc/PID/status.
func ProcMemory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[2] != "kB" {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v * 1024
		case "VmHWM:":
			hwm = v * 1024
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, fmt.Errorf("no VmRSS or VmHWM in /proc/%d/status", pid)
	}
	return rss, hwm, nil
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux everywhere that matters).
const clockTick = 10 * time.Millisecond

// ProcCPU returns the user+system CPU of process pid from /proc/PID/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	// After ')': state is field 3; utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick, nil
}

// SelfCPU returns the user+system CPU of this process (not its children's).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PostgresCPU returns the CPU used so far by the PostgreSQL server processes
// serving database name on this machine, by pid (the process title names
// the database). Backends come and go, so compare samples with
// PostgresDelta.
func PostgresCPU(name string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if name == "" {
		return out
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) || !bytes.Contains(cmd, []byte(" "+name+" ")) {
			continue
		}
		if t, err := ProcCPU(pid); err == nil {
			out[pid] = t
		}
	}
	return out
}

// PostgresDelta is the CPU the backends spent between two PostgresCPU
// samples (a backend that ended in between is lost; one that started counts
// from zero).
func PostgresDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// CPUSample is the CPU used so far by this process, a server and the
// PostgreSQL backends of one database.
type CPUSample struct {
	Self, Server time.Duration
	PG           map[int]time.Duration
}

// TakeCPU samples the CPU of this process, of serverPID and of the backends
// of database pgName (none when empty).
func TakeCPU(serverPID int, pgName string) CPUSample {
	s, _ := ProcCPU(serverPID)
	return CPUSample{Self: SelfCPU(), Server: s, PG: PostgresCPU(pgName)}
}

// CPUUse is the CPU spent between two samples.
type CPUUse struct{ Self, Server, PG time.Duration }

// To returns the CPU spent from s to the later sample t.
func (s CPUSample) To(t CPUSample) CPUUse {
	return CPUUse{Self: t.Self - s.Self, Server: t.Server - s.Server, PG: PostgresDelta(s.PG, t.PG)}
}

// Machine describes the machine a benchmark ran on.
type Machine struct {
	CPUs    int
	Model   string
	Memory  int64  // bytes
	Kernel  string // Linux release
	LoadAvg string // 1, 5 and 15 minutes, when described
}

// LoadAvg returns the load averages of the last 1, 5 and 15 minutes.
func LoadAvg() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			return strings.Join(f[:3], " ")
		}
	}
	return "unknown"
}

// DescribeMachine reads the CPU model, memory, kernel and load average.
func DescribeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Model: "unknown CPU", LoadAvg: LoadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.Memory = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// String is the machine as the reports describe it.
func (m Machine) String() string {
	return fmt.Sprintf("%d × %s, %s RAM, Linux %s", m.CPUs, m.Model, FmtGiB(m.Memory), m.Kernel)
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// request builds worker w's next request; check judges its answer (status and body).
type phase struct {
	name    string
	key     string // its name in -phases
	conns   int    // 0: the -conns flag
	target  int    // the process whose memory is sampled
	client  *http.Client
	cpu     []watched // processes whose CPU time is counted
	request func(w int, rng *rand.Rand) (*http.Request, error)
	check   func(status int, body []byte) error
}

// result is one phase's measurement.
type result struct {
	name      string
	conns     int
	requests  int   // answered and judged ok
	bytes     int64 // response bodies of those
	errors    int
	firstErrs []string
	elapsed   time.Duration
	latencies []time.Duration // of the requests judged ok, sorted
	p50, p99  time.Duration
	maxRSS    int64                    // kB, the most the target process held while loaded
	cpu       map[string]time.Duration // CPU time each watched process used while measured
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// run drives conns workers for warmup (not counted) and then duration, each sending its next
// request as soon as the previous one is answered, over its own keep-alive connection.
func (p phase) run(ctx context.Context, client *http.Client, conns int, warmup, duration time.Duration) result {
	type tally struct {
		bytes  int64
		lat    []time.Duration
		errors int
		errs   []string
	}
	tallies := make([]tally, conns)
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	ctx, cancel := context.WithDeadline(ctx, end.Add(10*time.Second))
	defer cancel()

	memCtx, stopMem := context.WithCancel(ctx)
	maxRSS := make(chan int64, 1)
	go func() { maxRSS <- sampleRSS(memCtx, p.target, measureFrom) }()
	cpuAtStart := make(chan map[string]time.Duration, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		cpuAtStart <- cpuTimes(p.cpu)
	}()

	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			t := &tallies[w]
			t.lat = make([]time.Duration, 0, 4096)
			for {
				sent := time.Now()
				if sent.After(end) || ctx.Err() != nil {
					return
				}
				n, err := p.once(ctx, client, w, rng)
				took := time.Since(sent)
				if sent.Before(measureFrom) {
					continue
				}
				if err != nil {
					t.errors++
					if len(t.errs) < 3 {
						t.errs = append(t.errs, err.Error())
					}
					continue
				}
				t.lat = append(t.lat, took)
				t.bytes += int64(n)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(measureFrom)
	stopMem()
	used := cpuTimes(p.cpu)
	for name, t := range <-cpuAtStart {
		used[name] -= t
	}

	r := result{name: p.name, elapsed: elapsed, maxRSS: <-maxRSS, cpu: used}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.lat...)
		r.bytes += t.bytes
		r.errors += t.errors
		for _, e := range t.errs {
			if len(r.firstErrs) < 5 && !slices.Contains(r.firstErrs, e) {
				r.firstErrs = append(r.firstErrs, e)
			}
		}
	}
	r.requests = len(all)
	slices.Sort(all)
	r.latencies = all
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r
}

// merge adds another round of the same phase.
func (r result) merge(o result) result {
	if r.name == "" {
		return o
	}
	r.requests += o.requests
	r.bytes += o.bytes
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.maxRSS = max(r.maxRSS, o.maxRSS)
	cpu := map[string]time.Duration{}
	for name, t := range r.cpu {
		cpu[name] += t
	}
	for name, t := range o.cpu {
		cpu[name] += t
	}
	r.cpu = cpu
	for _, e := range o.firstErrs {
		if len(r.firstErrs) < 5 && !slices.Contains(r.firstErrs, e) {
			r.firstErrs = append(r.firstErrs, e)
		}
	}
	r.latencies = append(slices.Clone(r.latencies), o.latencies...)
	slices.Sort(r.latencies)
	r.p50, r.p99 = percentile(r.latencies, 0.50), percentile(r.latencies, 0.99)
	return r
}

func (p phase) once(ctx context.Context, client *http.Client, w int, rng *rand.Rand) (int, error) {
	req, err := p.request(w, rng)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	return len(body), p.check(resp.StatusCode, body)
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// sampleRSS polls the process's resident memory every 100 ms from since until ctx ends and
// returns the highest VmRSS seen, in kB.
func sampleRSS(ctx context.Context, pid int, since time.Time) int64 {
	var most int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return most
		case now := <-tick.C:
			if now.Before(since) {
				continue
			}
			if kb := procStatusKB(pid, "VmRSS"); kb > most {
				most = kb
			}
		}
	}
}

// procStatusKB reads one "Name:   123 kB" line of /proc/PID/status; 0 when unreadable.
func procStatusKB(pid int, name string) int64 {
	return procFileKB(fmt.Sprintf("/proc/%d/status", pid), name)
}

// procFileKB reads the "name:   123 kB" line of a /proc file such as status or meminfo; 0 when
// the file cannot be read or has no such line.
func procFileKB(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// watched is a process whose CPU time a phase counts.
type watched struct {
	name string
	pid  int
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux we run on.
const clockTicks = 100

// cpuTimes reads each process's user+system CPU time from /proc/PID/stat.
func cpuTimes(procs []watched) map[string]time.Duration {
	out := make(map[string]time.Duration, len(procs))
	for _, p := range procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces: count fields after its end.
		rest := string(b)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[p.name] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// pidOf finds a running process by its command name (e.g. mariadbd); 0 when there is none.
func pidOf(names ...string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		for _, n := range names {
			if strings.TrimSpace(string(comm)) == n {
				return pid
			}
		}
	}
	return 0
}

package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// benchProfiler profiles the process during paymux's measured window: CPU, blocking
// (channel, select, lock and database/sql pool waits of 10 µs or more) and mutex
// contention, plus a goroutine dump half-way through that shows where the requests
// in flight are waiting. Goroutines carry the pprof label role=server|jobs|loadgen.
type benchProfiler struct {
	prefix string   // files are PREFIX.cpu.pprof, PREFIX.block.pprof, …
	files  []string // written so far
	cpu    *os.File
	mid    *time.Timer
	// running is set between start and stop (both called from one goroutine).
	running bool
	dump    sync.WaitGroup // the goroutine dump in flight

	mu   sync.Mutex // the goroutine dump runs on a timer goroutine
	errs []error
}

func (p *benchProfiler) path(kind string) string { return p.prefix + "." + kind }

func (p *benchProfiler) fail(err error) {
	if err != nil {
		p.mu.Lock()
		p.errs = append(p.errs, err)
		p.mu.Unlock()
	}
}

func (p *benchProfiler) wrote(path string) {
	p.mu.Lock()
	p.files = append(p.files, path)
	p.mu.Unlock()
}

// start begins profiling; the goroutine dump is taken after half of window.
func (p *benchProfiler) start(window time.Duration) {
	p.running = true
	f, err := os.Create(p.path("cpu.pprof"))
	if err != nil {
		p.fail(err)
	} else if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		p.fail(err)
	} else {
		p.cpu = f
	}
	runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	runtime.SetMutexProfileFraction(10)
	p.dump.Add(1)
	p.mid = time.AfterFunc(window/2, func() {
		defer p.dump.Done()
		p.write("goroutines.txt", "goroutine", 1)
	})
}

// stop ends profiling and writes the block and mutex profiles; it does nothing if
// profiling is not running.
func (p *benchProfiler) stop() {
	if !p.running {
		return
	}
	p.running = false
	if p.mid != nil {
		if p.mid.Stop() {
			p.dump.Done() // it will never run
		}
		p.dump.Wait()
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		p.fail(p.cpu.Close())
		p.wrote(p.path("cpu.pprof"))
		p.cpu = nil
	}
	p.write("block.pprof", "block", 0)
	p.write("mutex.pprof", "mutex", 0)
	runtime.SetBlockProfileRate(0)
	runtime.SetMutexProfileFraction(0)
}

func (p *benchProfiler) write(suffix, profile string, debug int) {
	f, err := os.Create(p.path(suffix))
	if err != nil {
		p.fail(err)
		return
	}
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		p.fail(fmt.Errorf("%s profile: %w", profile, err))
	}
	p.fail(f.Close())
	p.wrote(p.path(suffix))
}

// Command loadgen sends exactly -n POSTs of one body (or, with -replace, of bodies
// made distinct by a counter) with -c concurrent keep-alive connections and reports
// what came back: how many were sent and answered 2xx, the
// rate, and latency percentiles. bench/listen.sh uses it where an exact count
// matters (wrk stops on a clock, with requests in flight).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "requests to send")
	c := flag.Int("c", 100, "concurrent connections")
	url := flag.String("url", "", "where to POST")
	bodyFile := flag.String("body", "", "file holding the body")
	replace := flag.String("replace", "", "make each body distinct (one per participant): prefix this text with the request's number")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil || *url == "" {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -body FILE [-n N] [-c C]", err)
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c, MaxConnsPerHost: *c, DisableCompression: true}}
	var next, ok, failed atomic.Int64
	lat := make([][]time.Duration, *c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(*n) {
					break
				}
				b := body
				if *replace != "" {
					b = bytes.Replace(body, []byte(*replace), []byte(fmt.Sprintf("%d-%s", i, *replace)), 1)
				}
				t0 := time.Now()
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, *url, bytes.NewReader(b))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				if resp.StatusCode/100 == 2 {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	fmt.Printf("sent=%d ok=%d failed=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f\n", *n, ok.Load(), failed.Load(),
		float64(*n)/elapsed.Seconds(), float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000)
}

package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
)

// perCore is a rate divided by the machine's cores.
func (r *report) perCore(rate float64) float64 { return rate / float64(r.machine.CPUs) }

func (r *report) write(w io.Writer) {
	m, o := r.machine, r.o
	fmt.Fprintf(w, "### Certificates — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d × %s, %s RAM, Linux %s, load average at the start %s; %s, %s/%s\n",
		m.CPUs, m.Model, benchkit.FmtGiB(m.Memory), m.Kernel, m.LoadAvg, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, d := range r.dbs {
		fmt.Fprintf(w, "- %s: %s\n", d.kind, d.database)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| Goal | Measure | Database | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	if x := r.render; x != nil {
		fmt.Fprintf(w, "| 1 | `pdf.Render`, this process, GOMAXPROCS=1, %d certificates | — | **%.1f/s** (%.1f per CPU-second; %s wall, %s CPU each, %s, %s allocated each) | ≥ %.0f/s per core | %s |\n",
			x.n, x.perSecond(), x.perCPUSecond(), benchkit.FmtDur(x.wall/time.Duration(x.n)), benchkit.FmtDur(x.cpu/time.Duration(x.n)), fmtBytes(x.bytes/int64(x.n)),
			benchkit.FmtMB(int64(x.alloc/uint64(x.n))), goalIssuePerCore, benchkit.YesNo(x.perSecond() >= goalIssuePerCore))
		fmt.Fprintf(w, "| 1 | `pdf.Render` on %d cores (this process, nothing else running in it) | — | %.1f/s (%.1f/s per core) | | |\n",
			x.parProcs, float64(x.n)/x.parWall.Seconds(), r.perCore(float64(x.n)/x.parWall.Seconds()))
	}
	for _, d := range r.dbs {
		if x := d.store; x != nil {
			pg := ""
			if x.pgCPU > 0 {
				pg = fmt.Sprintf(", PostgreSQL %s CPU each", benchkit.FmtDur(x.pgCPU/time.Duration(x.n)))
			}
			fmt.Fprintf(w, "| 1 | Render + `StorePDF`, GOMAXPROCS=1, %d certificates | %s | **%.1f/s** (%.1f per CPU-second with the database's; store %s each; %s CPU each in this process%s) | ≥ %.0f/s per core | %s |\n",
				x.n, d.kind, x.perSecond(), float64(x.n)/(x.cpu+x.pgCPU).Seconds(), benchkit.FmtDur(x.store/time.Duration(x.n)), benchkit.FmtDur(x.cpu/time.Duration(x.n)), pg,
				goalIssuePerCore, benchkit.YesNo(x.perSecond() >= goalIssuePerCore))
		}
	}
	for _, d := range r.dbs {
		if x := d.issue; x != nil {
			rate := float64(x.pdfs) / x.allPDFs.Seconds()
			fmt.Fprintf(w, "| 1 | Through the server: %s completions, every PDF stored | %s | **%.1f/s** on %d cores = **%.1f/s per core**; %.1f per CPU-second of raadzaam | ≥ %.0f/s per core | %s |\n",
				benchkit.FmtInt(int64(x.learners)), d.kind, rate, m.CPUs, r.perCore(rate), float64(x.pdfs)/x.cpu.Server.Seconds(), goalIssuePerCore,
				benchkit.YesNo(r.perCore(rate) >= goalIssuePerCore && x.pdfsDone && x.errors == 0))
		}
	}
	for _, d := range r.dbs {
		if x := d.serve; x != nil {
			b, s := x.best("bare"), x.best("raadzaam")
			fmt.Fprintf(w, "| 2 | `GET /api/v1/certificates/{nummer}.pdf`, %s bytes, bearer token (bare Fiber, same bytes: %s req/s) | %s | **%s req/s**, p50 %s, p99 %s, %d errors (%.2f× bare) | ≥ %s/s | %s |\n",
				benchkit.FmtInt(int64(x.size)), benchkit.FmtInt(int64(math.Round(b.rps))), d.kind, benchkit.FmtInt(int64(math.Round(s.rps))), benchkit.FmtDur(s.p50), benchkit.FmtDur(s.p99),
				s.errors, ratio(s.rps, b.rps), benchkit.FmtInt(goalServe), benchkit.YesNo(s.rps >= goalServe && s.errors == 0 && x.stillServes))
			for _, t := range x.targets() {
				if t == "bare" || t == "raadzaam" {
					continue
				}
				c := x.best(t)
				fmt.Fprintf(w, "| 2 | The same, %s (compressed by the server) | %s | %s req/s, p50 %s, p99 %s, %d errors, %s bytes/response | ≥ %s/s | %s |\n",
					strings.TrimPrefix(t, "raadzaam, "), d.kind, benchkit.FmtInt(int64(math.Round(c.rps))), benchkit.FmtDur(c.p50), benchkit.FmtDur(c.p99), c.errors,
					benchkit.FmtInt(int64(math.Round(c.bytesReq))), benchkit.FmtInt(goalServe), benchkit.YesNo(c.rps >= goalServe && c.errors == 0))
			}
		}
	}
	for _, d := range r.dbs {
		for _, x := range d.zips {
			ok := x.hwmAfter < goalZIPPeak && x.downloadErr == "" && x.verifyErr == "" && x.pdfs == x.seed.certificatesDB && x.missing == 0 && x.extra == 0 && x.badPDFs == 0 && x.hasCSV
			fmt.Fprintf(w, "| 3 | ZIP of %s certificates, %s: the server's peak RSS (VmHWM) since its start | %s | **%s** (%s before the download; %s in %s) | < %s | %s |\n",
				benchkit.FmtInt(int64(x.seed.certificatesDB)), encodingName(x.encoding), d.kind, benchkit.FmtMB(x.hwmAfter), benchkit.FmtMB(x.hwmBefore), benchkit.FmtMB(x.size), benchkit.FmtDur(x.took),
				benchkit.FmtMB(goalZIPPeak), benchkit.YesNo(ok))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Rates per core divide by all %d cores: raadzaam, PostgreSQL, the benchmark's clients and wrk share them.\n\n", m.CPUs)

	for _, d := range r.dbs {
		fmt.Fprintf(w, "#### %s\n\n", d.kind)
		if d.firstStart > 0 {
			fmt.Fprintf(w, "- First start (migrated, catalogue imported by the benchmark): %s\n", benchkit.FmtDur(d.firstStart))
		}
		if x := d.issue; x != nil {
			fmt.Fprintf(w, "- Issue: %s learners enrolled in the one-lesson course `%s` (sign-in and enrolment beforehand, %s; tokens valid %s); load average %s\n",
				benchkit.FmtInt(int64(x.learners)), shortSlug(o.course), benchkit.FmtDur(x.setup), x.tokenLife, d.loadavg)
			fmt.Fprintf(w, "  - %d clients posted the completions: %s for all (%.0f/s), p50 %s, p99 %s, max %s, %d errors\n",
				x.clients, benchkit.FmtDur(x.completions), float64(x.learners)/x.completions.Seconds(), benchkit.FmtDur(x.p50), benchkit.FmtDur(x.p99), benchkit.FmtDur(x.max), x.errors)
			fmt.Fprintf(w, "  - certificates issued: %s; PDFs stored when the last completion was answered: %s; every PDF stored after %s (%v); job workers: %d\n",
				benchkit.FmtInt(int64(x.certificates)), benchkit.FmtInt(int64(x.pdfsAtCompletions)), benchkit.FmtDur(x.allPDFs), x.pdfsDone, x.jobWorkers)
			fmt.Fprintf(w, "  - stored PDFs: %s, %s on average, %d not starting with %%PDF- or not ending with %%%%EOF; raadzaam's VmHWM before the completions (after the sign-ins) %s, afterwards %s (VmRSS %s)\n",
				benchkit.FmtInt(int64(x.pdfs)), fmtBytes(x.pdfBytes/int64(max(1, x.pdfs))), x.badPDFs, benchkit.FmtMB(x.hwmBefore), benchkit.FmtMB(x.hwmAfter), benchkit.FmtMB(x.rssAfter))
			n := time.Duration(max(1, x.pdfs))
			cpu := fmt.Sprintf("  - CPU per certificate, first completion to last PDF: raadzaam %s, benchmark client %s", benchkit.FmtDur(x.cpu.Server/n), benchkit.FmtDur(x.cpu.Self/n))
			if x.cpu.PG > 0 {
				cpu += fmt.Sprintf(", PostgreSQL backends %s", benchkit.FmtDur(x.cpu.PG/n))
			}
			fmt.Fprintln(w, cpu)
			if jobs := x.pdfs - x.pdfsAtCompletions; jobs > 0 {
				fmt.Fprintf(w, "  - raadzaam CPU split: while the completions ran %s (%s per completion, %d PDFs stored meanwhile); after, %s for the other %d PDFs (%s per background job)\n",
					benchkit.FmtDur(x.cpuCompletions.Server), benchkit.FmtDur(x.cpuCompletions.Server/time.Duration(x.learners)), x.pdfsAtCompletions,
					benchkit.FmtDur(x.cpuJobs.Server), jobs, benchkit.FmtDur(x.cpuJobs.Server/time.Duration(jobs)))
			}
			fmt.Fprintf(w, "  - PDFs stored over time: %s\n", curve(x.curve))
			if x.jobNote != "" {
				fmt.Fprintf(w, "  - certificate jobs: %s\n", x.jobNote)
			} else {
				fmt.Fprintf(w, "  - certificate jobs (River's attempted_at → finalized_at): %s completed, each ran p50 %s, p90 %s; %.2f of %d workers busy on average over %s\n",
					benchkit.FmtInt(int64(x.jobs)), benchkit.FmtDur(x.jobRunP50), benchkit.FmtDur(x.jobRunP90), x.busyWorkers, x.jobWorkers, benchkit.FmtDur(x.jobSpan))
			}
			for _, e := range x.errorSamples {
				fmt.Fprintf(w, "  - error: `%s`\n", strings.ReplaceAll(e, "`", "'"))
			}
		}
		if x := d.serve; x != nil {
			fmt.Fprintf(w, "- Serve: certificate %s, %s bytes; %s; %s warm-up of each, then %d round(s) of %s runs (bare, raadzaam); first GET %s; token still valid after the runs: %v; raadzaam after the runs: VmRSS %s, VmHWM %s\n",
				x.number, benchkit.FmtInt(int64(x.size)), x.loader, o.warmup, o.rounds, o.duration, benchkit.FmtDur(x.firstGet), x.stillServes, benchkit.FmtMB(x.rssAfter), benchkit.FmtMB(x.hwmAfter))
			fmt.Fprintln(w)
			fmt.Fprintln(w, "  | Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request | raadzaam CPU/request | PostgreSQL CPU/request |")
			fmt.Fprintln(w, "  |---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
			for i, l := range x.runs {
				srv, pg := "", ""
				if l.target != "bare" && l.requests > 0 {
					srv = benchkit.FmtDur(l.cpu.Server / time.Duration(l.requests))
					if l.cpu.PG > 0 {
						pg = benchkit.FmtDur(l.cpu.PG / time.Duration(l.requests))
					}
				}
				fmt.Fprintf(w, "  | %d | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", i+1, l.target, benchkit.FmtInt(int64(math.Round(l.rps))),
					benchkit.FmtDur(l.p50), benchkit.FmtDur(l.p99), benchkit.FmtInt(l.requests), l.errors, benchkit.FmtInt(int64(math.Round(l.bytesReq))), srv, pg)
			}
			fmt.Fprintln(w)
		}
		for i, x := range d.zips {
			sd := x.seed
			if i == 0 {
				fmt.Fprintf(w, "- ZIP: %s certificates of members of `%s` inserted directly (%s distinct PDFs rendered in %s, the others reuse their bytes; %s of PDF; insert %s)\n",
					benchkit.FmtInt(int64(sd.certificatesDB)), sd.association, benchkit.FmtInt(int64(sd.distinct)), benchkit.FmtDur(sd.renderTook), benchkit.FmtMB(sd.pdfBytes), benchkit.FmtDur(sd.took))
			}
			fmt.Fprintf(w, "- ZIP download %d, %s, from a fresh server (started in %s): `GET /vereniging/%s/certificaten.zip?van=%s&tot=%s` as the association's administrator (bearer token)\n",
				i+1, encodingName(x.encoding), benchkit.FmtDur(x.start), sd.association, x.from, x.to)
			if x.rate > 0 {
				fmt.Fprintf(w, "  - the client read at most %.1f MB/s, as over a slow link\n", x.rate)
			}
			fmt.Fprintf(w, "  - headers after %s, first byte of the body after %s, %s read in %s (%.0f MB/s); Content-Type `%s`, Content-Encoding `%s`, %s on the wire\n",
				benchkit.FmtDur(x.ttfb), benchkit.FmtDur(x.firstByte), benchkit.FmtMB(x.size), benchkit.FmtDur(x.took), float64(x.size)/1e6/x.took.Seconds(), x.contentType, x.contentEncoding, benchkit.FmtMB(x.wire))
			fmt.Fprintf(w, "  - raadzaam memory: before the download VmRSS %s, VmHWM %s; after VmRSS %s, VmHWM **%s**; highest VmRSS sampled during the download %s (%d samples, every 10 ms)\n",
				benchkit.FmtMB(x.rssBefore), benchkit.FmtMB(x.hwmBefore), benchkit.FmtMB(x.rssAfter), benchkit.FmtMB(x.hwmAfter), benchkit.FmtMB(x.maxSampled), x.samples)
			n := time.Duration(max(1, sd.certificatesDB))
			cpu := fmt.Sprintf("  - CPU during the download: raadzaam %s (%s per certificate)", benchkit.FmtDur(x.cpu.Server), benchkit.FmtDur(x.cpu.Server/n))
			if x.cpu.PG > 0 {
				cpu += fmt.Sprintf(", PostgreSQL backends %s", benchkit.FmtDur(x.cpu.PG))
			}
			fmt.Fprintln(w, cpu)
			check := "ok"
			switch {
			case x.downloadErr != "":
				check = "**download failed after " + benchkit.FmtMB(x.size) + ": " + x.downloadErr + "**"
			case x.verifyErr != "":
				check = "**" + x.verifyErr + "**"
			}
			fmt.Fprintf(w, "  - check: %s; %s entries, %s PDFs (%d not starting with %%PDF-), overzicht.csv %v with %s rows; seeded numbers missing %d, unknown numbers %d\n",
				check, benchkit.FmtInt(int64(x.entries)), benchkit.FmtInt(int64(x.pdfs)), x.badPDFs, x.hasCSV, benchkit.FmtInt(int64(x.csvRows)), x.missing, x.extra)
			for _, l := range x.logErrors {
				fmt.Fprintf(w, "  - server log: `%s`\n", strings.ReplaceAll(l, "`", "'"))
			}
		}
		for _, n := range d.notes {
			fmt.Fprintf(w, "- note: %s\n", n)
		}
		fmt.Fprintln(w)
	}
}

// encodingName describes an Accept-Encoding header.
func encodingName(enc string) string {
	if enc == "" {
		return "no compression asked"
	}
	return "`Accept-Encoding: " + enc + "`"
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// curve writes a few points of the PDFs-stored curve.
func curve(points []curvePoint) string {
	if len(points) == 0 {
		return "—"
	}
	step := max(1, len(points)/8)
	var parts []string
	for i, p := range points {
		if i%step == 0 || i == len(points)-1 {
			parts = append(parts, fmt.Sprintf("%s at %s", benchkit.FmtInt(int64(p.pdfs)), benchkit.FmtDur(p.at)))
		}
	}
	return strings.Join(parts, ", ")
}

func fmtBytes(b int64) string {
	if b < 10_000 {
		return benchkit.FmtInt(b) + " B"
	}
	return fmt.Sprintf("%.1f KB", float64(b)/1e3)
}

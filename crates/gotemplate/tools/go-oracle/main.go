// Command go-oracle renders the gotemplate crate's test cases with real Go text/template and
// sprig, the way Kong Identity renders claim templates, and writes what Go printed (or the
// error it gave) to ../../tests/data/go_oracle.json. The Rust test tests/oracle.rs of the
// crate checks our engine against that file.
//
// A dev tool, not run by CI: see README.md beside this file for how to regenerate.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig"
)

// The context, field for field as example() in the crate's tests/common/mod.rs.

type AuthServer struct {
	ID               string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Name             string
	Description      string
	Audience         string
	SigningAlgorithm string
	Labels           map[string]string
}

type Client struct {
	ID             string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Name           string
	Labels         map[string]string
	GrantTypes     []string
	RedirectURIs   []string
	LoginURI       string
	ResponseTypes  []string
	AllowAllScopes bool
}

type Context struct {
	AuthServer AuthServer
	Client     Client
}

func example() Context {
	at := time.Unix(1_700_000_000, 123_456_000).UTC()
	labels := map[string]string{"environment": "staging"}
	return Context{
		AuthServer: AuthServer{
			ID:               "5f9fd312-a987-4628-b4c5-bb4f4fddd5f7",
			CreatedAt:        at,
			UpdatedAt:        at,
			Name:             "Payments",
			Description:      "",
			Audience:         "http://myhttpbin.dev",
			SigningAlgorithm: "RS256",
			Labels:           labels,
		},
		Client: Client{
			ID:             "abc123",
			CreatedAt:      at,
			UpdatedAt:      at,
			Name:           "billing-service",
			Labels:         labels,
			GrantTypes:     []string{"client_credentials"},
			RedirectURIs:   []string{},
			LoginURI:       "",
			ResponseTypes:  []string{"token"},
			AllowAllScopes: false,
		},
	}
}

// fixedNow is the render clock; oracle_tests.rs renders at the same instant. With TZ=UTC,
// Local is UTC, as it is for our engine.
var fixedNow = time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.Local)

// funcs is sprig's TxtFuncMap with the functions that read the wall clock replaced by
// sprig's own code (sprig v3 date.go) reading fixedNow instead.
func funcs() template.FuncMap {
	m := sprig.TxtFuncMap()
	m["now"] = func() time.Time { return fixedNow }
	m["ago"] = func(date interface{}) string {
		var t time.Time
		switch date := date.(type) {
		default:
			t = fixedNow
		case time.Time:
			t = date
		case int64:
			t = time.Unix(date, 0)
		case int:
			t = time.Unix(int64(date), 0)
		}
		return fixedNow.Sub(t).Round(time.Second).String()
	}
	dateInZone := func(fmt string, date interface{}, zone string) string {
		var t time.Time
		switch date := date.(type) {
		default:
			t = fixedNow
		case time.Time:
			t = date
		case *time.Time:
			t = *date
		case int64:
			t = time.Unix(date, 0)
		case int:
			t = time.Unix(int64(date), 0)
		case int32:
			t = time.Unix(int64(date), 0)
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc, _ = time.LoadLocation("UTC")
		}
		return t.In(loc).Format(fmt)
	}
	m["dateInZone"] = dateInZone
	m["date_in_zone"] = dateInZone
	m["date"] = func(fmt string, date interface{}) string { return dateInZone(fmt, date, "Local") }
	m["htmlDate"] = func(date interface{}) string { return dateInZone("2006-01-02", date, "Local") }
	m["htmlDateInZone"] = func(date interface{}, zone string) string { return dateInZone("2006-01-02", date, zone) }
	m["durationRound"] = func(duration interface{}) string {
		var d time.Duration
		switch duration := duration.(type) {
		default:
			d = 0
		case string:
			d, _ = time.ParseDuration(duration)
		case int64:
			d = time.Duration(duration)
		case time.Time:
			d = fixedNow.Sub(duration)
		}
		u := uint64(d)
		neg := d < 0
		if neg {
			u = -u
		}
		var (
			year   = uint64(time.Hour) * 24 * 365
			month  = uint64(time.Hour) * 24 * 30
			day    = uint64(time.Hour) * 24
			hour   = uint64(time.Hour)
			minute = uint64(time.Minute)
			second = uint64(time.Second)
		)
		switch {
		case u > year:
			return strconv.FormatUint(u/year, 10) + "y"
		case u > month:
			return strconv.FormatUint(u/month, 10) + "mo"
		case u > day:
			return strconv.FormatUint(u/day, 10) + "d"
		case u > hour:
			return strconv.FormatUint(u/hour, 10) + "h"
		case u > minute:
			return strconv.FormatUint(u/minute, 10) + "m"
		case u > second:
			return strconv.FormatUint(u/second, 10) + "s"
		}
		return "0s"
	}
	return m
}

// Case is one entry of go_oracle.json: Go's output or error, or, for a deviation we keep on
// purpose, our expected output or error with Go's alongside.
type Case struct {
	Template  string  `json:"template"`
	Output    *string `json:"output,omitempty"`
	Error     *string `json:"error,omitempty"`
	Deviation string  `json:"deviation,omitempty"`
	GoOutput  *string `json:"go_output,omitempty"`
	GoError   *string `json:"go_error,omitempty"`
}

// Deviation is an entry of deviations.json: what our engine gives instead, and why.
type Deviation struct {
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
	Why    string  `json:"why"`
}

func render(source string) (string, error) {
	t, err := template.New("claim").Delims("${", "}").Funcs(funcs()).Parse(source)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, example()); err != nil {
		return "", err
	}
	return out.String(), nil
}

// readTemplates reads one template per line; blank lines and lines starting with "#" are
// skipped, and "⏎" stands for a newline inside a template.
func readTemplates(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var templates []string
	seen := map[string]bool{}
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.ReplaceAll(line, "⏎", "\n")
		if seen[line] {
			return nil, fmt.Errorf("duplicate template %q", line)
		}
		seen[line] = true
		templates = append(templates, line)
	}
	return templates, scanner.Err()
}

func main() {
	templatesPath := flag.String("templates", "templates.txt", "the cases, one per line")
	deviationsPath := flag.String("deviations", "deviations.json", "deviations we keep on purpose")
	outPath := flag.String("out", "../../tests/data/go_oracle.json", "where to write the results")
	flag.Parse()

	if os.Getenv("TZ") != "UTC" {
		fmt.Fprintln(os.Stderr, "go-oracle: run with TZ=UTC (Local must be UTC, as it is for the Rust engine)")
		os.Exit(2)
	}
	templates, err := readTemplates(*templatesPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(1)
	}
	deviations := map[string]Deviation{}
	if raw, err := os.ReadFile(*deviationsPath); err == nil {
		if err := json.Unmarshal(raw, &deviations); err != nil {
			fmt.Fprintln(os.Stderr, "go-oracle: deviations:", err)
			os.Exit(1)
		}
	}

	cases := make([]Case, 0, len(templates))
	used := map[string]bool{}
	for _, source := range templates {
		output, err := render(source)
		c := Case{Template: source}
		if err != nil {
			message := err.Error()
			c.Error = &message
		} else {
			c.Output = &output
		}
		if dev, ok := deviations[source]; ok {
			used[source] = true
			if (dev.Output == nil) == (dev.Error == nil) {
				fmt.Fprintf(os.Stderr, "go-oracle: deviation for %q needs exactly one of output and error\n", source)
				os.Exit(1)
			}
			if dev.Output != nil && c.Output != nil && *dev.Output == *c.Output {
				fmt.Fprintf(os.Stderr, "go-oracle: warning: deviation for %q now matches Go\n", source)
			}
			c.GoOutput, c.GoError = c.Output, c.Error
			c.Output, c.Error, c.Deviation = dev.Output, dev.Error, dev.Why
		}
		cases = append(cases, c)
	}
	for source := range deviations {
		if !used[source] {
			fmt.Fprintf(os.Stderr, "go-oracle: warning: deviation for %q names no template\n", source)
		}
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cases); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*outPath, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(1)
	}
	errors := 0
	for _, c := range cases {
		if c.Error != nil {
			errors++
		}
	}
	fmt.Printf("go-oracle: %d cases (%d errors, %d deviations) written to %s\n", len(cases), errors, len(used), *outPath)
}

// manifest-check reads rendered Kubernetes manifests (multi-document YAML, as `helm template` prints them) and
// refuses what a cluster would refuse, without a cluster: every object is decoded strictly against the Kubernetes
// API types (unknown or repeated fields are errors, as with kubectl's --validate=strict), ServiceMonitors against
// the Prometheus Operator's types, custom resources without Go types against their CRD's structural schema, and a
// kind it knows none of is an error. It then checks the references between the objects (selectors, names, ports).
//
//	manifest-check [--json] FILE...   (- reads standard input)
//
// Exit 0 when every object passes, 1 when any is refused, 2 on a usage error. --json also prints each object that
// passed as one JSON line, for tests that look into a rendering.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	printJSON := flag.Bool("json", false, "print each object that passed as one JSON line on standard output")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: manifest-check [--json] FILE... (- reads standard input)")
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	checker, err := NewChecker()
	if err != nil {
		fmt.Fprintf(os.Stderr, "manifest-check: %v\n", err)
		os.Exit(2)
	}
	// Reports go to standard error with --json, so that standard output is JSON lines only.
	report := os.Stdout
	if *printJSON {
		report = os.Stderr
	}
	refused := 0
	var objects []Object
	for _, file := range flag.Args() {
		data, err := readInput(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "manifest-check: %v\n", err)
			os.Exit(2)
		}
		documents, err := SplitDocuments(data)
		if err != nil {
			fmt.Fprintf(report, "REFUSED %s: %v\n", file, err)
			refused++
			continue
		}
		if len(documents) == 0 {
			fmt.Fprintf(report, "REFUSED %s: no object in it\n", file)
			refused++
		}
		for index, document := range documents {
			object, err := checker.Check(document)
			if err != nil {
				fmt.Fprintf(report, "REFUSED %s, document %d (%s): %v\n", file, index+1, object, err)
				refused++
				continue
			}
			fmt.Fprintf(report, "ok      %s\n", object)
			objects = append(objects, object)
			if *printJSON {
				if err := writeJSON(object); err != nil {
					fmt.Fprintf(os.Stderr, "manifest-check: %v\n", err)
					os.Exit(2)
				}
			}
		}
	}
	// An object refused above is missing from the references: they are checked once everything decodes.
	if refused == 0 {
		for _, problem := range CheckReferences(objects) {
			fmt.Fprintf(report, "REFUSED %v\n", problem)
			refused++
		}
	} else {
		fmt.Fprintln(report, "references between the objects not checked: some were refused")
	}
	fmt.Fprintf(report, "%d objects accepted, %d refused\n", len(objects), refused)
	if refused > 0 {
		os.Exit(1)
	}
}

func readInput(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

func writeJSON(object Object) error {
	var content interface{} = object.Content
	if object.Decoded != nil {
		content = object.Decoded
	}
	line, err := json.Marshal(map[string]interface{}{"apiVersion": object.APIVersion, "kind": object.Kind, "name": object.Name, "object": content})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(line))
	return err
}

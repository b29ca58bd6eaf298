// hpa-example: kadai's local stand-in for registry.k8s.io/hpa-example (php-apache). Every request
// burns CPU the way the original index.php does (a million square roots) and answers "OK!".
// Listens on port 80 (PORT overrides). Standard library only; builds with Go >= 1.19.
package main

import (
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
)

func burn() float64 {
	x := 0.0001
	for i := 0; i <= 1000000; i++ {
		x += math.Sqrt(x)
	}
	return x
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "80"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		x := burn()
		if x < 0 { // never: keeps the loop from being optimised away
			fmt.Fprint(w, x)
		}
		fmt.Fprint(w, "OK!")
	})
	log.Printf("hpa-example listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

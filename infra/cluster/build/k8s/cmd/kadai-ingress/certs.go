package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log"
	"math/big"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// certificates maps SNI names to the certificates of the served Ingresses' spec.tls.
type certificates struct {
	byName     map[string]*tls.Certificate
	byWildcard map[string]*tls.Certificate // "example.com" for "*.example.com"
}

// fallbackCertificate is served to names no Ingress has a certificate for (as ingress-nginx's
// "Fake Certificate"): made at start, trusted by no one.
var fallbackCertificate = selfSigned()

// loadCertificates reads each spec.tls Secret (of the Ingress's own namespace); the oldest Ingress
// wins a name two of them claim. A spec.tls without hosts covers the names in its certificate.
func loadCertificates(ingresses []*networkingv1.Ingress, secrets corelisters.SecretLister) *certificates {
	cs := &certificates{byName: map[string]*tls.Certificate{}, byWildcard: map[string]*tls.Certificate{}}
	for _, in := range ingresses {
		for _, t := range in.Spec.TLS {
			if t.SecretName == "" {
				continue
			}
			secret, err := secrets.Secrets(in.Namespace).Get(t.SecretName)
			if err != nil {
				log.Printf("Ingress %s/%s: TLS Secret %s: %v", in.Namespace, in.Name, t.SecretName, err)
				continue
			}
			cert, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
			if err != nil {
				log.Printf("Ingress %s/%s: TLS Secret %s: %v", in.Namespace, in.Name, t.SecretName, err)
				continue
			}
			hosts := t.Hosts
			if len(hosts) == 0 && cert.Leaf != nil {
				hosts = cert.Leaf.DNSNames
			}
			for _, h := range hosts {
				cs.add(strings.ToLower(h), &cert)
			}
		}
	}
	return cs
}

func (cs *certificates) add(host string, cert *tls.Certificate) {
	m, name := cs.byName, host
	if strings.HasPrefix(host, "*.") {
		m, name = cs.byWildcard, host[2:]
	}
	if _, taken := m[name]; !taken {
		m[name] = cert
	}
}

func (cs *certificates) forName(name string) *tls.Certificate {
	name = strings.ToLower(name)
	if c := cs.byName[name]; c != nil {
		return c
	}
	if dot := strings.IndexByte(name, '.'); dot > 0 {
		if c := cs.byWildcard[name[dot+1:]]; c != nil {
			return c
		}
	}
	return fallbackCertificate
}

func selfSigned() *tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "kadai-ingress default certificate"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

# Certificates and kubeconfigs, made once with openssl into $STATE/pki (sourced by `up`).
# One CA signs every component's client and serving certificate, the way kubeadm lays them out;
# a second CA (front-proxy) signs the aggregator's client cert, which metrics-server trusts.

pki_key() { [[ -f $1 ]] || openssl genrsa -out "$1" 2048 2>/dev/null; }

pki_ca() { # name CN
  local d=$STATE/pki
  [[ -f $d/$1.crt ]] && return 0
  pki_key "$d/$1.key"
  openssl req -x509 -new -key "$d/$1.key" -subj "/CN=$2" -days 3650 -out "$d/$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
}

pki_cert() { # name CA subject usage [SANs]
  local d=$STATE/pki name=$1 ca=$2 subj=$3 usage=$4 sans=${5:-}
  [[ -f $d/$name.crt ]] && return 0
  pki_key "$d/$name.key"
  local ext; ext=$(mktemp)
  { echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $sans ]] && echo "subjectAltName=$sans"; } > "$ext"
  openssl req -new -key "$d/$name.key" -subj "$subj" 2>/dev/null |
    openssl x509 -req -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -CAcreateserial -days 3650 \
      -extfile "$ext" -out "$d/$name.crt" 2>/dev/null
  rm -f "$ext"
}

kubeconfig() { # file cert-name [server]
  local d=$STATE/pki server=${3:-https://$NODE_IP:6443}
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kadai
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$d/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 < "$d/$2.crt")
    client-key-data: $(base64 -w0 < "$d/$2.key")
contexts:
- name: kadai
  context: {cluster: kadai, user: $2}
current-context: kadai
KC
  chmod 600 "$1"
}

make_pki() {
  local d=$STATE/pki
  mkdir -p "$d"; chmod 700 "$d"
  pki_ca ca kadai-cluster-ca
  pki_ca front-proxy-ca kadai-front-proxy-ca
  pki_cert apiserver ca "/CN=kube-apiserver" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$NODE_IP"
  pki_cert apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  pki_cert front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
  pki_cert admin ca "/O=system:masters/CN=kubernetes-admin" clientAuth
  pki_cert controller-manager ca "/CN=system:kube-controller-manager" clientAuth
  pki_cert scheduler ca "/CN=system:kube-scheduler" clientAuth
  pki_cert kubelet ca "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  pki_cert kubelet-serving ca "/O=system:nodes/CN=system:node:$NODE_NAME" serverAuth \
    "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  pki_cert kube-proxy ca "/CN=system:kube-proxy" clientAuth
  # Add-ons run on the host next to the control plane; they share one admin-level identity.
  pki_cert addons ca "/O=system:masters/CN=kadai-addons" clientAuth
  # kadai's grading worker: an ordinary user, fenced by RBAC and admission (manifests/kadai-worker.yaml)
  pki_cert kadai-worker ca "/CN=kadai-worker" clientAuth
  [[ -f $d/sa.key ]] || { pki_key "$d/sa.key"; openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null; }
  local c
  for c in admin controller-manager scheduler kubelet kube-proxy addons kadai-worker; do
    kubeconfig "$STATE/$c.kubeconfig" "$c"
  done
}

#!/usr/bin/env bash
# Installs the netra injector in the current kubectl context: a CA and a serving certificate for
# netra-injector.netra-system.svc (openssl, PKCS#8 key), the netra-system namespace and the TLS
# Secret, then k8s/kustomization.yaml with the CA filled into the webhook configuration.
# usage: k8s/install.sh [--registry REGISTRY] [--tag TAG] [--days DAYS]
#   --registry/--tag name the images you pushed (default: netra-*:dev, as scripts/build-images.sh tags them)
# Run it again to renew the certificate: the Secret is replaced and the injector reads it again.
set -euo pipefail
K8S=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
registry="" tag=dev days=365
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="${2%/}/"; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
for cmd in kubectl openssl; do
  command -v "$cmd" >/dev/null || { echo "install.sh: $cmd is needed" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
service=netra-injector.netra-system.svc
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/ca.key" 2>/dev/null
openssl req -x509 -new -key "$work/ca.key" -days "$days" -subj "/CN=netra-injector-ca" -out "$work/ca.crt"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/tls.key" 2>/dev/null
openssl req -new -key "$work/tls.key" -subj "/CN=$service" -out "$work/tls.csr"
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\n' "$service" "$service" >"$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days "$days" -extfile "$work/ext" -out "$work/tls.crt" 2>/dev/null

kubectl apply -f "$K8S/injector/namespace.yaml"
kubectl -n netra-system create secret tls netra-injector-tls --cert "$work/tls.crt" --key "$work/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
ca=$(base64 -w0 <"$work/ca.crt")
kubectl kustomize "$K8S" \
  | sed -e "s|caBundle: CA_BUNDLE|caBundle: $ca|" \
        -e "s|image: netra-injector:dev|image: ${registry}netra-injector:$tag|" \
        -e "s|value: netra-init:dev|value: ${registry}netra-init:$tag|" \
        -e "s|value: netra-sidecar:dev|value: ${registry}netra-sidecar:$tag|" \
  | kubectl apply -f -
kubectl -n netra-system rollout status deployment/netra-injector --timeout=120s
echo "netra injector installed. Mesh a namespace: kubectl label namespace NAME netra.io/inject=enabled"

#!/bin/sh
# Bring up the lab's control plane the 2019 way.
kube-apiserver --insecure-port=0 --admission-control=NamespaceLifecycle,NodeRestriction,DenyEscalatingExec,PodSecurityPolicy --authorization-mode=Node,RBAC &

kubectl exec -it -n shop shop-frontend-7d9c sh
istioctl create -f istio-2019.yaml
istioctl authn tls-check shop-frontend-7d9c.shop

SECRET=$(kubectl get sa ci-deployer -n shop -o json | jq -r '.secrets[].name')
TOKEN=$(kubectl get secret "$SECRET" -n shop -o json | jq -r '.data["token"]' | base64 -d)
kubectl config set-credentials ci-deployer --kubeconfig=ci.conf --token="$TOKEN"

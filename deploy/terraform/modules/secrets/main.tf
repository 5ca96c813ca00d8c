# Vault holds what the pods need; the External Secrets Operator copies it into the Kubernetes Secrets
# database-credentials, redis-credentials and metrics-token (deploy/k8s/base/external-secrets.yaml reads
# ablage-system/<name>).
# Values arrive as module inputs: a module cannot reach into another module's resources.
resource "vault_mount" "ablage_secrets" {
  path        = "ablage-system"
  type        = "kv-v2"
  description = "Secrets for Ablage System (${var.environment})"
}

resource "vault_kv_secret_v2" "database" {
  mount     = vault_mount.ablage_secrets.path
  name      = "database"
  data_json = jsonencode(var.database_connection)
}

resource "vault_kv_secret_v2" "redis" {
  mount     = vault_mount.ablage_secrets.path
  name      = "redis"
  data_json = jsonencode(var.redis_connection)
}

resource "vault_kv_secret_v2" "api_keys" {
  mount     = vault_mount.ablage_secrets.path
  name      = "api-keys"
  data_json = jsonencode({ huggingface_token = var.huggingface_token })
}

# The bearer token the APIs ask for on /metrics (METRICS_TOKEN) and Prometheus sends: generated here, read by the
# ExternalSecret metrics-token. Letters and digits only, so it needs no quoting in a header or a scrape config.
resource "random_password" "metrics_token" {
  length  = 48
  special = false
}

resource "vault_kv_secret_v2" "metrics" {
  mount     = vault_mount.ablage_secrets.path
  name      = "metrics"
  data_json = jsonencode({ token = random_password.metrics_token.result })
}

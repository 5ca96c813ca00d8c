output "mount_path" {
  description = "Vault KV v2 mount holding the application's secrets."
  value       = vault_mount.ablage_secrets.path
}

output "secret_paths" {
  description = "Paths of the secrets under the mount, as External Secrets refers to them."
  value = {
    database = "${vault_mount.ablage_secrets.path}/${vault_kv_secret_v2.database.name}"
    redis    = "${vault_mount.ablage_secrets.path}/${vault_kv_secret_v2.redis.name}"
    api_keys = "${vault_mount.ablage_secrets.path}/${vault_kv_secret_v2.api_keys.name}"
    metrics  = "${vault_mount.ablage_secrets.path}/${vault_kv_secret_v2.metrics.name}"
  }
}

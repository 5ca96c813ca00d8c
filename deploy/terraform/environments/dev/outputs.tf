output "cluster_name" {
  description = "EKS cluster the deploy workflow targets."
  value       = module.platform.cluster_name
}

output "github_deploy_role_arn" {
  description = "Role for the deploy workflow (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.platform.github_deploy_role_arn
}

output "model_cache_file_system_id" {
  description = "EFS file system for the efs-sc storage class."
  value       = module.platform.model_cache_file_system_id
}

output "bucket_names" {
  description = "Document buckets per storage area."
  value       = module.platform.bucket_names
}

output "cpu_load_balancer" {
  description = "Internal load balancer of the CPU VMs."
  value       = module.platform.cpu_load_balancer
}

output "gpu_vm_ips" {
  description = "Private addresses of the GPU VMs for the Ansible inventory."
  value       = module.platform.gpu_vm_ips
}

output "prometheus_endpoint" {
  description = "Managed Prometheus workspace endpoint."
  value       = module.platform.prometheus_endpoint
}

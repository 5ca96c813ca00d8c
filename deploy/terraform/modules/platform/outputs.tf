output "cluster_name" {
  description = "EKS cluster the deploy workflow targets."
  value       = module.eks.cluster_name
}

output "github_deploy_role_arn" {
  description = "Role for the deploy workflow (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.eks.github_deploy_role_arn
}

output "model_cache_file_system_id" {
  description = "EFS file system for the efs-sc storage class."
  value       = module.eks.model_cache_file_system_id
}

output "bucket_names" {
  description = "Document buckets per storage area."
  value       = module.storage.bucket_names
}

output "cpu_load_balancer" {
  description = "Internal load balancer of the CPU VMs."
  value       = module.cpu_compute.load_balancer_dns_name
}

output "gpu_vm_ips" {
  description = "Private addresses of the GPU VMs for the Ansible inventory."
  value       = module.gpu_compute.private_ips
}

output "prometheus_endpoint" {
  description = "Managed Prometheus workspace endpoint."
  value       = module.monitoring.prometheus_endpoint
}

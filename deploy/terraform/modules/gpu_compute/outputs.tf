output "instance_ids" {
  description = "IDs of the GPU VMs."
  value       = aws_instance.gpu_backend[*].id
}

output "private_ips" {
  description = "Private addresses of the GPU VMs, for the Ansible inventory."
  value       = aws_instance.gpu_backend[*].private_ip
}

output "security_group_id" {
  description = "Security group of the GPU VMs; the database and cache admit it."
  value       = aws_security_group.gpu_backend.id
}

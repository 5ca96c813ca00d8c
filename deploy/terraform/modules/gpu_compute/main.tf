# GPU VMs configured by Ansible (deploy/ansible, group gpu_backends). The Deep Learning AMI brings the NVIDIA
# driver and CUDA; plain Ubuntu would leave the GPU unusable until Ansible had run.
data "aws_ssm_parameter" "gpu_ami" {
  name = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
}

resource "aws_instance" "gpu_backend" {
  count                  = var.gpu_backend_count
  ami                    = data.aws_ssm_parameter.gpu_ami.value
  instance_type          = var.gpu_instance_type
  subnet_id              = var.subnet_ids[count.index % length(var.subnet_ids)]
  vpc_security_group_ids = [aws_security_group.gpu_backend.id]
  iam_instance_profile   = aws_iam_instance_profile.gpu_backend.name
  ebs_optimized          = true
  monitoring             = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size = 200 # GB for the OS and the application
    volume_type = "gp3"
    encrypted   = true
  }

  # The Hugging Face model cache, mounted at /opt/ablage-system/models by the user data.
  ebs_block_device {
    device_name = "/dev/sdf"
    volume_size = 500
    volume_type = "gp3"
    encrypted   = true
  }

  user_data = templatefile("${path.module}/user_data_gpu.sh", {
    environment = var.environment
    models_dir  = "/opt/ablage-system/models"
  })

  # A new AMI release must not replace running GPU instances; roll them deliberately.
  lifecycle {
    ignore_changes = [ami]
  }

  tags = {
    Name = "ablage-gpu-backend-${var.environment}-${count.index + 1}"
    Type = "GPU-OCR-Backend"
  }
}

resource "aws_security_group" "gpu_backend" {
  name_prefix = "ablage-gpu-backend-"
  description = "GPU backend VMs of ablage-${var.environment}"
  vpc_id      = var.vpc_id

  ingress {
    description = "FastAPI from the load balancer"
    from_port   = 8000
    to_port     = 8000
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  ingress {
    description = "SSH from the bastion"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.bastion_cidr]
  }

  egress {
    #checkov:skip=CKV_AWS_382:package mirrors, S3, RDS and Redis are reached over several ports and addresses; the VMs sit in private subnets behind NAT
    description = "All outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "ablage-gpu-backend-sg-${var.environment}"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "gpu_backend" {
  name_prefix        = "ablage-gpu-backend-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Session Manager instead of open SSH for people; Ansible still comes through the bastion.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.gpu_backend.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "documents" {
  role   = aws_iam_role.gpu_backend.id
  policy = data.aws_iam_policy_document.documents.json
}

data "aws_iam_policy_document" "documents" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = var.document_bucket_arns
  }

  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for arn in var.document_bucket_arns : "${arn}/*"]
  }
}

resource "aws_iam_instance_profile" "gpu_backend" {
  name_prefix = "ablage-gpu-backend-"
  role        = aws_iam_role.gpu_backend.name
}

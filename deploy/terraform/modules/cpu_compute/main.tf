# CPU VMs in an autoscaling group behind an internal load balancer; Ansible (group cpu_backends) installs the
# service. The target group the group registers with is defined here, with the service's readiness probe.
data "aws_ssm_parameter" "ubuntu_ami" {
  name = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
}

resource "aws_autoscaling_group" "cpu_backend" {
  name                = "ablage-cpu-backend-${var.environment}"
  vpc_zone_identifier = var.subnet_ids
  target_group_arns   = [aws_lb_target_group.cpu_backend.arn]
  health_check_type   = "ELB"
  min_size            = var.min_size
  max_size            = var.max_size
  desired_capacity    = var.desired_capacity

  launch_template {
    id      = aws_launch_template.cpu_backend.id
    version = aws_launch_template.cpu_backend.latest_version
  }

  tag {
    key                 = "Name"
    value               = "ablage-cpu-backend-${var.environment}"
    propagate_at_launch = true
  }

  # Scaling policies own the count after creation.
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "cpu_target" {
  name                   = "ablage-cpu-backend-${var.environment}-cpu70"
  autoscaling_group_name = aws_autoscaling_group.cpu_backend.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
    target_value = 70
  }
}

resource "aws_launch_template" "cpu_backend" {
  name_prefix   = "ablage-cpu-backend-"
  image_id      = data.aws_ssm_parameter.ubuntu_ami.value
  instance_type = var.cpu_instance_type
  ebs_optimized = true

  vpc_security_group_ids = [aws_security_group.cpu_backend.id]

  iam_instance_profile {
    name = aws_iam_instance_profile.cpu_backend.name
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/sda1"
    ebs {
      volume_size = 100
      volume_type = "gp3"
      encrypted   = true
    }
  }
}

resource "aws_lb" "cpu_backend" {
  #checkov:skip=CKV2_AWS_28:internal load balancer, not reachable from the internet; WAF belongs on the public edge
  #checkov:skip=CKV_AWS_91:request logs would duplicate the service's own access log
  name                       = "ablage-cpu-${var.environment}"
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.environment == "prod"
  # Synchronous OCR requests may take up to PROCESSING_TIMEOUT (600 s).
  idle_timeout = 600
}

resource "aws_lb_target_group" "cpu_backend" {
  name_prefix = "abcpu-"
  port        = 8000
  protocol    = "HTTP"
  vpc_id      = var.vpc_id

  health_check {
    path                = "/ready"
    port                = "8000"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.cpu_backend.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.cpu_backend.arn
  }
}

resource "aws_security_group" "alb" {
  name_prefix = "ablage-cpu-alb-"
  description = "Internal load balancer of the CPU VMs of ablage-${var.environment}"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS from inside the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description = "To the service port of the VMs"
    from_port   = 8000
    to_port     = 8000
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "cpu_backend" {
  name_prefix = "ablage-cpu-backend-"
  description = "CPU backend VMs of ablage-${var.environment}"
  vpc_id      = var.vpc_id

  ingress {
    description     = "FastAPI from the load balancer"
    from_port       = 8000
    to_port         = 8000
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
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

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "cpu_backend" {
  name_prefix        = "ablage-cpu-backend-"
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

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.cpu_backend.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "documents" {
  role   = aws_iam_role.cpu_backend.id
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

resource "aws_iam_instance_profile" "cpu_backend" {
  name_prefix = "ablage-cpu-backend-"
  role        = aws_iam_role.cpu_backend.name
}

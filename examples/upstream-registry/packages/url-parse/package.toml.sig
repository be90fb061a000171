[[signature]]
key = "ed25519:3jxhatEdhmaf+SLLg8Wm/jTTxmKgm5SXRTXFJZwomxI="
sig = "YBzSdY1SQCSxsm+Xr1V3gFoj8RFPUyo03EdwYWgjrfoTD3Th00sMqgkLVoQX87MFbh7kKcChISPYv9OVfePQAw=="
